/// <reference types="node" />
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Per name and type: the addresses, or 'servfail' to answer that query with DNS status 2. */
export type Zone = Record<string, { A?: string[] | 'servfail'; AAAA?: string[] | 'servfail' }>;

/**
 * A DNS-over-HTTPS JSON endpoint (the format of cloudflare-dns.com/dns-query) on 127.0.0.1 serving
 * `zone`, which the test may change while it runs; names not in it answer NXDOMAIN.
 */
export async function startDnsJsonServer(zone: Zone) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.searchParams.get('name') ?? '';
    const type = url.searchParams.get('type') === 'AAAA' ? 'AAAA' : 'A';
    asked.push(`${name}/${type}`);
    const records = zone[name];
    const answer = records?.[type];
    const body =
      answer === 'servfail'
        ? { Status: 2 }
        : records
          ? {
              Status: 0,
              Answer: ((answer as string[] | undefined) ?? []).map((data) => ({
                name,
                type: type === 'A' ? 1 : 28,
                data,
              })),
            }
          : { Status: 3 };
    res.writeHead(200, { 'content-type': 'application/dns-json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`,
    asked,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

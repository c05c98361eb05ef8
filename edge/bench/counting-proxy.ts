import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** REST requests forwarded so far, by path (`/pipeline`, `/multi-exec`, `/`). */
  counts(): Record<string, number>;
  total(): number;
  close(): Promise<void>;
}

/**
 * An HTTP pass-through in front of the Upstash bridge that counts the REST requests the edge
 * makes: the figure the "REST round trips per submit" target is about.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    counts[path] = (counts[path] ?? 0) + 1;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

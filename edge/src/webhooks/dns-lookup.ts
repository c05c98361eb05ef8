/**
 * Host name -> addresses through DNS-over-HTTPS (JSON API, as Cloudflare's and Google's
 * resolvers serve it): Workers have no other way to resolve a name before fetching it.
 */
export type DnsAnswer =
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'nxdomain' }
  /** The resolver could not be asked or answered badly: no verdict either way. */
  | { kind: 'unavailable'; reason: string };

export interface DnsLookupOptions {
  /** e.g. `https://cloudflare-dns.com/dns-query`. */
  resolverUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const TYPES = { A: 1, AAAA: 28 } as const;

interface DohReply {
  Status?: number;
  Answer?: { type?: number; data?: string }[];
}

async function query(host: string, type: keyof typeof TYPES, o: DnsLookupOptions): Promise<DohReply> {
  const url = new URL(o.resolverUrl);
  url.searchParams.set('name', host);
  url.searchParams.set('type', type);
  const res = await (o.fetch ?? fetch)(url, {
    headers: { accept: 'application/dns-json' },
    signal: AbortSignal.timeout(o.timeoutMs ?? 3_000),
  });
  if (!res.ok) throw new Error(`resolver answered HTTP ${res.status}`);
  return (await res.json()) as DohReply;
}

export async function lookupHost(host: string, o: DnsLookupOptions): Promise<DnsAnswer> {
  let replies: DohReply[];
  try {
    replies = await Promise.all([query(host, 'A', o), query(host, 'AAAA', o)]);
  } catch (error) {
    return { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
  }
  if (replies.some((r) => r.Status === 3)) return { kind: 'nxdomain' };
  if (replies.some((r) => r.Status !== 0)) return { kind: 'unavailable', reason: 'resolver error' };
  // CNAME chains come with their final A/AAAA records; only those are addresses.
  const addresses = replies.flatMap((r) =>
    (r.Answer ?? [])
      .filter((a) => (a.type === TYPES.A || a.type === TYPES.AAAA) && typeof a.data === 'string')
      .map((a) => a.data as string),
  );
  return { kind: 'addresses', addresses };
}

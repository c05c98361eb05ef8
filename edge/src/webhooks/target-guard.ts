import { type DnsAnswer, lookupHost } from './dns-lookup';
import { addressProblem } from './ip-ranges';

/**
 * SSRF protection for webhook targets (DESIGN decision 8). Outside local mode a target must be
 * https, carry no credentials, and name a public host: no IP literal or name of loopback, private,
 * link-local, shared (CGNAT), metadata or reserved addresses, in any encoding. The URL parser
 * canonicalises the host first, so `http://0x7f.1`, `http://2130706433` and `http://[::ffff:127.0.0.1]`
 * are the same loopback address as `127.0.0.1`. The same checks run at submit and before every send
 * (a name may resolve elsewhere by then); redirects are never followed (send-webhook.ts).
 * In local mode http and loopback are allowed: the receiver of a local stack runs on 127.0.0.1.
 */
export type DeployMode = 'local' | 'production';

/** Host names that never leave a private network, whatever DNS says. */
const PRIVATE_SUFFIXES = [
  '.localhost',
  '.local',
  '.internal',
  '.localdomain',
  '.home.arpa',
  '.lan',
  '.intranet',
];

export function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** What is wrong with `text` as a webhook target, without DNS; null when nothing is. */
export function targetProblem(text: string, mode: DeployMode): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(mode === 'local' && url.protocol === 'http:')) {
    return mode === 'local' ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (url.username || url.password) return 'must not contain credentials (user:password@)';
  if (mode === 'local') return null;
  const host = hostOf(url);
  const literal = addressProblem(host);
  if (literal !== undefined) return literal === null ? null : `must not point at ${literal} (${host})`;
  if (host === 'localhost' || PRIVATE_SUFFIXES.some((s) => host.endsWith(s))) {
    return `must not point at a local or internal host name (${host})`;
  }
  if (!host.includes('.')) return `must be a fully qualified public host name, not ${host}`;
  return null;
}

/**
 * What the addresses a name resolves to say about it; null when all are public. No answer is a
 * problem too (fail closed): a resolver an attacker runs can answer A with 169.254.169.254 and
 * SERVFAIL for AAAA, and a check that let the failure through would hand the name to fetch, which
 * resolves it again and connects to the metadata address.
 */
export function resolvedProblem(host: string, answer: DnsAnswer): string | null {
  if (answer.kind === 'nxdomain') return `host ${host} does not exist (DNS NXDOMAIN)`;
  if (answer.kind === 'unavailable') return `host ${host} could not be resolved (${answer.reason}); not sent`;
  if (answer.addresses.length === 0) return `host ${host} has no A or AAAA record`;
  for (const address of answer.addresses) {
    const problem = addressProblem(address);
    if (problem) return `host ${host} resolves to ${problem} (${address})`;
  }
  return null;
}

export interface TargetCheckOptions {
  mode: DeployMode;
  /** DNS-over-HTTPS endpoint; '' skips resolution. */
  resolverUrl: string;
  fetch?: typeof fetch;
}

export type TargetCheck =
  | { ok: true; dns: DnsAnswer | null }
  /** `retryable`: DNS gave no answer; the target may be fine, but nothing is sent until it does. */
  | { ok: false; problem: string; retryable: boolean };

/**
 * The full check: the URL itself, then (outside local mode, for a host name) where it resolves.
 * A resolver that cannot be reached or answers with an error fails the check (retryable).
 */
export async function checkTarget(text: string, o: TargetCheckOptions): Promise<TargetCheck> {
  const problem = targetProblem(text, o.mode);
  if (problem) return { ok: false, problem, retryable: false };
  if (o.mode === 'local' || !o.resolverUrl) return { ok: true, dns: null };
  const host = hostOf(new URL(text));
  if (addressProblem(host) !== undefined) return { ok: true, dns: null };
  const answer = await lookupHost(host, { resolverUrl: o.resolverUrl, fetch: o.fetch });
  const resolved = resolvedProblem(host, answer);
  if (resolved) return { ok: false, problem: resolved, retryable: answer.kind === 'unavailable' };
  return { ok: true, dns: answer };
}

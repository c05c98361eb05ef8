/**
 * The client address failed authentications are counted against: Cloudflare's CF-Connecting-IP
 * (set by Cloudflare's front end, which overwrites a client's own). An IPv6 client is counted by
 * its /64, the block one subscriber usually holds, so rotating through its 2^64 addresses buys no
 * fresh attempts. Without the header (a local run) every client is one address, "unknown".
 */
export function clientAddress(header: string | undefined): string {
  const ip = header?.trim() ?? '';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip;
  if (ip.includes(':') && /^[0-9a-f:.]+$/i.test(ip)) return `${ipv6Prefix64(ip.toLowerCase())}::/64`;
  return 'unknown';
}

/** The first four groups of an IPv6 address, with `::` expanded. */
function ipv6Prefix64(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::', 2) : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups
    .slice(0, 4)
    .map((g) => (g === '' ? '0' : g.replace(/^0+(?=.)/, '')))
    .join(':');
}

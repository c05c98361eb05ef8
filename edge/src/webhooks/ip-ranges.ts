/**
 * Which IP addresses a webhook may not be sent to (SSRF): everything that is not a public unicast
 * address. Addresses come canonical from the WHATWG URL parser (it already turns `0x7f.1`,
 * `2130706433` or `0177.0.0.1` into `127.0.0.1`) or from DNS answers.
 */

type Range = [base: number, prefix: number, reason: string];

const ipv4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** RFC 6890 special-purpose blocks plus multicast and the cloud metadata address. */
const IPV4_BLOCKED: Range[] = [
  [ipv4(169, 254, 169, 254), 32, 'the cloud metadata address'],
  [ipv4(0, 0, 0, 0), 8, 'a "this network" address'],
  [ipv4(10, 0, 0, 0), 8, 'a private address'],
  [ipv4(100, 64, 0, 0), 10, 'a shared (carrier-grade NAT) address'],
  [ipv4(127, 0, 0, 0), 8, 'a loopback address'],
  [ipv4(169, 254, 0, 0), 16, 'a link-local address'],
  [ipv4(172, 16, 0, 0), 12, 'a private address'],
  [ipv4(192, 0, 0, 0), 24, 'a reserved address'],
  [ipv4(192, 0, 2, 0), 24, 'a documentation address'],
  [ipv4(192, 88, 99, 0), 24, 'a reserved address'],
  [ipv4(192, 168, 0, 0), 16, 'a private address'],
  [ipv4(198, 18, 0, 0), 15, 'a reserved (benchmarking) address'],
  [ipv4(198, 51, 100, 0), 24, 'a documentation address'],
  [ipv4(203, 0, 113, 0), 24, 'a documentation address'],
  [ipv4(224, 0, 0, 0), 4, 'a multicast address'],
  [ipv4(240, 0, 0, 0), 4, 'a reserved address'],
];

/** Strict dotted quad (what URL and DNS give); null for anything else. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

export function ipv4Problem(address: number): string | null {
  for (const [base, prefix, reason] of IPV4_BLOCKED) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if ((address & mask) >>> 0 === base) return reason;
  }
  return null;
}

/** Eight 16-bit groups, or null. Accepts `::` compression and a trailing dotted IPv4. */
export function parseIPv6(text: string): number[] | null {
  let body = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (body.includes('%')) return null; // zone ids never appear in a URL host or a DNS answer
  const tail: number[] = [];
  const dotted = body.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const v4 = parseIPv4(dotted[2]);
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    body = `${dotted[1]}0`; // placeholder group, replaced below
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const wanted = 8 - (tail.length ? 1 : 0);
  const missing = wanted - all.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const parsed = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((g) =>
    Number.parseInt(g, 16),
  );
  if (tail.length) parsed.splice(parsed.length - 1, 1, ...tail);
  return parsed.length === 8 ? parsed : null;
}

const embeddedV4 = (g: number[], at: number) => ((g[at] << 16) | g[at + 1]) >>> 0;

export function ipv6Problem(g: number[]): string | null {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'the unspecified address';
  if (zeroUpTo(7) && g[7] === 1) return 'a loopback address';
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible) reach the IPv4 address.
  if (zeroUpTo(5) && g[5] === 0xffff) return ipv4Problem(embeddedV4(g, 6));
  if (g[0] === 0) return 'a reserved address';
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address; the local-use /48 is private.
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    if (g[2] === 1) return 'a private address';
    return g.slice(2, 6).every((x) => x === 0) ? ipv4Problem(embeddedV4(g, 6)) : 'a reserved address';
  }
  if (g[0] === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'a discard-only address';
  if (g[0] === 0x2001 && g[1] < 0x200) return 'a reserved (Teredo or protocol) address';
  if (g[0] === 0x2001 && g[1] === 0xdb8) return 'a documentation address';
  if (g[0] === 0x3fff && g[1] < 0x1000) return 'a documentation address';
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
  if (g[0] === 0x2002) return ipv4Problem(embeddedV4(g, 1));
  if ((g[0] & 0xfe00) === 0xfc00) return 'a private (unique local) address';
  if ((g[0] & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((g[0] & 0xffc0) === 0xfec0) return 'a site-local address';
  if ((g[0] & 0xff00) === 0xff00) return 'a multicast address';
  return null;
}

/** Why this address literal is not a public destination, or null when it is; undefined when `text` is no IP. */
export function addressProblem(text: string): string | null | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== null) return ipv4Problem(v4);
  const v6 = parseIPv6(text);
  if (v6 !== null) return ipv6Problem(v6);
  return undefined;
}

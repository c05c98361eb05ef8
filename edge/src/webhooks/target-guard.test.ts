/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupHost } from './dns-lookup';
import { addressProblem, parseIPv6 } from './ip-ranges';
import { checkTarget, targetProblem } from './target-guard';
import { startDnsJsonServer, type Zone } from './test-support/dns-json-server';

// Every one of these must be refused outside local mode, with the reason in the message.
const FORBIDDEN: [url: string, reason: RegExp][] = [
  ['http://example.com/hook', /https/],
  ['ftp://example.com/hook', /https/],
  ['https://user:pass@example.com/hook', /credentials/],
  ['https://user@example.com/hook', /credentials/],
  ['https://127.0.0.1/hook', /loopback/],
  ['https://127.1/hook', /loopback/],
  ['https://2130706433/hook', /loopback/], // decimal
  ['https://0x7f000001/hook', /loopback/], // hex
  ['https://0x7f.0.0.1/hook', /loopback/], // hex octet
  ['https://0177.0.0.1/hook', /loopback/], // octal
  ['https://017700000001/hook', /loopback/], // octal whole
  ['https://127.0.0.1./hook', /loopback/], // trailing dot
  ['https://0.0.0.0/hook', /this network/],
  ['https://10.1.2.3/hook', /private/],
  ['https://172.16.0.1/hook', /private/],
  ['https://172.31.255.255/hook', /private/],
  ['https://192.168.1.1/hook', /private/],
  ['https://100.64.0.1/hook', /carrier-grade NAT/],
  ['https://169.254.169.254/latest/meta-data/', /metadata/],
  ['https://0xa9fea9fe/latest/meta-data/', /metadata/], // 169.254.169.254 in hex
  ['https://169.254.10.10/hook', /link-local/],
  ['https://224.0.0.1/hook', /multicast/],
  ['https://255.255.255.255/hook', /reserved/],
  ['https://[::1]/hook', /loopback/],
  ['https://[::]/hook', /unspecified/],
  ['https://[::ffff:127.0.0.1]/hook', /loopback/], // IPv4-mapped, dotted
  ['https://[::ffff:7f00:1]/hook', /loopback/], // IPv4-mapped, hex
  ['https://[::ffff:a9fe:a9fe]/hook', /metadata/],
  ['https://[64:ff9b::10.0.0.1]/hook', /private/], // NAT64
  ['https://[2002:c0a8:101::1]/hook', /private/], // 6to4 of 192.168.1.1
  ['https://[fd00:ec2::254]/hook', /unique local/], // AWS metadata over IPv6
  ['https://[fe80::1]/hook', /link-local/],
  ['https://[ff02::1]/hook', /multicast/],
  ['https://[2001:db8::1]/hook', /documentation/],
  ['https://localhost/hook', /local or internal/],
  ['https://LOCALHOST./hook', /local or internal/],
  ['https://api.localhost/hook', /local or internal/],
  ['https://printer.local/hook', /local or internal/],
  ['https://metadata.google.internal/computeMetadata/v1/', /local or internal/],
  ['https://intranet/hook', /fully qualified/],
];

const ALLOWED = [
  'https://example.com/hook',
  'https://hooks.example.com:8443/ldm?x=1',
  'https://93.184.216.34/hook',
  'https://[2606:4700:4700::1111]/hook',
  'https://8.8.8.8/hook',
];

describe('webhook target guard (production mode)', () => {
  it.each(FORBIDDEN)('refuses %s', (url, reason) => {
    const problem = targetProblem(url, 'production');
    expect(problem).not.toBeNull();
    expect(problem).toMatch(reason);
  });

  it.each(ALLOWED)('allows %s', (url) => {
    expect(targetProblem(url, 'production')).toBeNull();
  });

  it('local mode allows http to loopback but still no credentials or other schemes', () => {
    expect(targetProblem('http://127.0.0.1:4000/hook', 'local')).toBeNull();
    expect(targetProblem('http://localhost:4000/hook', 'local')).toBeNull();
    expect(targetProblem('http://u:p@127.0.0.1/hook', 'local')).toMatch(/credentials/);
    expect(targetProblem('ftp://127.0.0.1/hook', 'local')).toMatch(/http or https/);
  });

  it('parses IPv6 forms to the same groups', () => {
    expect(parseIPv6('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIPv6('[2001:db8::1]')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('12345::1')).toBeNull();
    expect(addressProblem('not-an-ip')).toBeUndefined();
  });
});

describe('webhook target guard: DNS (a DNS-over-HTTPS JSON server on 127.0.0.1)', () => {
  // name -> A/AAAA records; missing names answer NXDOMAIN (Status 3).
  const ZONE: Zone = {
    'public.example': { A: ['93.184.216.34'], AAAA: ['2606:2800:220:1:248:1893:25c8:1946'] },
    'rebind.example': { A: ['93.184.216.34', '10.0.0.7'] },
    'v6-loopback.example': { AAAA: ['::1'] },
    'metadata.example': { A: ['169.254.169.254'] },
    'empty.example': {},
    // The attack: A points at the metadata service, AAAA fails; a check that let the failure
    // through handed the name to fetch, which resolved A itself.
    'servfail-v6.example': { A: ['93.184.216.34'], AAAA: 'servfail' },
  };
  let dns: Awaited<ReturnType<typeof startDnsJsonServer>>;
  let resolverUrl: string;
  let asked: string[];

  beforeAll(async () => {
    dns = await startDnsJsonServer(ZONE);
    resolverUrl = dns.url;
    asked = dns.asked;
  });
  afterAll(() => dns.stop());

  const check = (url: string) => checkTarget(url, { mode: 'production', resolverUrl });

  it('accepts a name whose every address is public', async () => {
    expect(await check('https://public.example/hook')).toMatchObject({ ok: true });
    expect(asked).toEqual(expect.arrayContaining(['public.example/A', 'public.example/AAAA']));
  });

  it.each([
    ['https://rebind.example/hook', /resolves to a private address \(10\.0\.0\.7\)/],
    ['https://v6-loopback.example/hook', /resolves to a loopback address \(::1\)/],
    ['https://metadata.example/hook', /cloud metadata/],
    ['https://nowhere.example/hook', /does not exist/],
    ['https://empty.example/hook', /no A or AAAA record/],
  ])('refuses %s', async (url, reason) => {
    const result = await check(url);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toMatch(reason);
  });

  it('an unreachable resolver fails the check, retryable (fail closed)', async () => {
    const answer = await lookupHost('public.example', { resolverUrl: 'http://127.0.0.1:1/dns-query' });
    expect(answer.kind).toBe('unavailable');
    expect(
      await checkTarget('https://public.example/hook', {
        mode: 'production',
        resolverUrl: 'http://127.0.0.1:1/x',
      }),
    ).toMatchObject({ ok: false, retryable: true });
  });

  it('a SERVFAIL for one record type fails the check, retryable, whatever the other says', async () => {
    const result = await check('https://servfail-v6.example/hook');
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(result.ok ? '' : result.problem).toMatch(/could not be resolved/);
  });

  it('does not resolve in local mode', async () => {
    const before = asked.length;
    expect(await checkTarget('http://nowhere.example/hook', { mode: 'local', resolverUrl })).toMatchObject({
      ok: true,
    });
    expect(asked.length).toBe(before);
  });
});

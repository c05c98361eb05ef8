import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIMITS } from '@ldm/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../env';
import { startDnsJsonServer } from '../webhooks/test-support/dns-json-server';
import { imageInputAsDataUrl } from './fetch-image-input';

// The input-image fetch uses the webhook SSRF guard (checkTarget) and bounds what it reads.
let dns: Awaited<ReturnType<typeof startDnsJsonServer>>;
let origin: string;
const server = createServer((req, res) => {
  if (req.url === '/declared') {
    // Says more than the limit, sends one byte and never ends: only the declared length can stop it.
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(LIMITS.imageMaxBytes + 1) });
    res.write(Buffer.from([0x89]));
  } else if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
  else if (req.url === '/huge') {
    // No Content-Length: the limit must be enforced while streaming.
    res.writeHead(200, { 'content-type': 'image/png' });
    const chunk = Buffer.alloc(1024 * 1024, 1);
    for (let i = 0; i <= LIMITS.imageMaxBytes / chunk.length; i++) res.write(chunk);
    res.end();
  } else res.writeHead(200).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
});

beforeAll(async () => {
  dns = await startDnsJsonServer({
    'internal.example.com': { A: ['10.0.0.7'] },
    'flaky.example.com': { A: 'servfail', AAAA: 'servfail' },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dns.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const production = () => ({ mode: 'production', webhookDnsResolverUrl: dns.url }) as Config;
const local = { mode: 'local', webhookDnsResolverUrl: '' } as Config;

describe('imageInputAsDataUrl', () => {
  it.each([
    ['http://images.example.com/a.png', /https URL/],
    ['https://127.0.0.1/a.png', /must not point at/],
    ['https://[::1]/a.png', /must not point at/],
    ['https://internal.example.com/a.png', /does not resolve to a public address/],
  ])('refuses %s outside local mode, naming the field', async (url, why) => {
    const error = (await imageInputAsDataUrl('input.image', url, production()).catch((e: unknown) => e)) as {
      status: number;
      details: { field: string; message: string }[];
    };
    expect(error.status).toBe(422);
    expect(error.details[0].field).toBe('input.image');
    expect(error.details[0].message).toMatch(why);
    expect(error.details[0].message).not.toContain('10.0.0.7');
  });

  it('answers 503 service_unavailable when the resolver gives no answer (not the caller at fault)', async () => {
    const error = (await imageInputAsDataUrl(
      'input.image',
      'https://flaky.example.com/a.png',
      production(),
    ).catch((e: unknown) => e)) as { status: number; code: string; message: string };
    expect(error.status).toBe(503);
    expect(error.code).toBe('service_unavailable');
    expect(error.message).toMatch(/^input\.image: could not be fetched/);
  });

  it("says 'could not be fetched' without the runtime's error text or addresses", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = (await imageInputAsDataUrl('input.image', `http://127.0.0.1:${port}/a.png`, local).catch(
      (e: unknown) => e,
    )) as { status: number; message: string };
    expect(error.status).toBe(422);
    expect(error.message).toBe('input.image: could not be fetched (no answer from its host)');
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    await expect(imageInputAsDataUrl('input.image', `${origin}/declared`, local)).rejects.toThrow(
      new RegExp(`at most ${LIMITS.imageMaxBytes} bytes`),
    );
  });

  it('does not follow redirects and stops reading past the byte limit', async () => {
    await expect(imageInputAsDataUrl('input.image', `${origin}/redirect`, local)).rejects.toThrow(/HTTP 302/);
    await expect(imageInputAsDataUrl('input.image', `${origin}/huge`, local)).rejects.toThrow(
      new RegExp(`at most ${LIMITS.imageMaxBytes} bytes`),
    );
  });

  it('returns the bytes as base64, and passes data URLs through', async () => {
    expect(await imageInputAsDataUrl('input.image', `${origin}/ok`, local)).toBe('iVBORw==');
    expect(await imageInputAsDataUrl('input.image', 'data:image/png;base64,AAAA', production())).toBe(
      'data:image/png;base64,AAAA',
    );
  });
});

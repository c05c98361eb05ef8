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
  if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
  else if (req.url === '/huge') {
    // No Content-Length: the limit must be enforced while streaming.
    res.writeHead(200, { 'content-type': 'image/png' });
    const chunk = Buffer.alloc(1024 * 1024, 1);
    for (let i = 0; i <= LIMITS.imageMaxBytes / chunk.length; i++) res.write(chunk);
    res.end();
  } else res.writeHead(200).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
});

beforeAll(async () => {
  dns = await startDnsJsonServer({ 'internal.example.com': { A: ['10.0.0.7'] } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dns.stop();
  await new Promise((resolve) => server.close(resolve));
});

const production = () => ({ mode: 'production', webhookDnsResolverUrl: dns.url }) as Config;
const local = { mode: 'local', webhookDnsResolverUrl: '' } as Config;

describe('imageInputAsDataUrl', () => {
  it.each([
    ['http://images.example.com/a.png', /https URL/],
    ['https://127.0.0.1/a.png', /must not point at/],
    ['https://[::1]/a.png', /must not point at/],
    ['https://internal.example.com/a.png', /resolves to/],
  ])('refuses %s outside local mode, naming the field', async (url, why) => {
    const error = (await imageInputAsDataUrl('input.image', url, production()).catch((e: unknown) => e)) as {
      status: number;
      details: { field: string; message: string }[];
    };
    expect(error.status).toBe(422);
    expect(error.details[0].field).toBe('input.image');
    expect(error.details[0].message).toMatch(why);
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

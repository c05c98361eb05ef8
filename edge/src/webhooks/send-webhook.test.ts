/// <reference types="node" />
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook } from './send-webhook';
import { newWebhookSecret } from './signing-secret';

// One attempt against a real HTTP server on 127.0.0.1 whose answer depends on the path.
let server: Server;
let origin: string;
const seen: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/slow') return; // never answers
      if (req.url === '/redirect') return res.writeHead(302, { location: `${origin}/ok` }).end();
      if (req.url === '/later') return res.writeHead(429, { 'retry-after': '120' }).end();
      if (req.url === '/gone') return res.writeHead(410).end();
      res.writeHead(202).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const current = newWebhookSecret();
const previous = newWebhookSecret();
const send = (path: string, timeoutMs?: number) =>
  sendWebhook({
    url: `${origin}${path}`,
    webhookId: 'msg_test_completed',
    event: 'completed',
    body: '{"id":"gen_1","status":"succeeded"}',
    secrets: [current, previous],
    timeoutMs,
  });

describe('sendWebhook', () => {
  it('signs with every secret, space-separated; the library verifies with either', async () => {
    const result = await send('/ok');
    expect(result).toMatchObject({ ok: true, statusCode: 202, error: null, gone: false });
    const got = seen.find((s) => s.path === '/ok');
    const headers = got?.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe('msg_test_completed');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(got?.body ?? '', headers)).toEqual({
        id: 'gen_1',
        status: 'succeeded',
      });
    }
    expect(() => new Webhook(newWebhookSecret()).verify(got?.body ?? '', headers)).toThrow();
  });

  it('does not follow a redirect', async () => {
    const before = seen.filter((s) => s.path === '/ok').length;
    expect(await send('/redirect')).toMatchObject({
      ok: false,
      statusCode: 302,
      error: 'redirect not followed',
    });
    expect(seen.filter((s) => s.path === '/ok').length).toBe(before);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const result = await send('/slow', 300);
    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'no answer within 300 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('reports Retry-After, 410 and connection errors', async () => {
    expect(await send('/later')).toMatchObject({ ok: false, statusCode: 429, retryAfterMs: 120_000 });
    expect(await send('/gone')).toMatchObject({ ok: false, statusCode: 410, gone: true });
    const refused = await sendWebhook({
      url: 'http://127.0.0.1:1/x',
      webhookId: 'm',
      event: 'start',
      body: '{}',
      secrets: [current],
    });
    expect(refused).toMatchObject({ ok: false, statusCode: null });
    expect(refused.error).toMatch(/^connection failed/);
  });
});

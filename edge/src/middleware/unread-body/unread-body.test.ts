/// <reference types="node" />
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../context';
import { drainUnreadBody } from '.';

// The app answers without reading the body (as a 401 or 404 does); the middleware drains it.
const IDLE_MS = 1_000;
const TOTAL_MS = 2_000;
const app = new Hono<AppEnv>()
  .use(drainUnreadBody({ maxDrainBytes: 1_000_000, idleMs: IDLE_MS, totalMs: TOTAL_MS }))
  .post('/', (c) => c.text('unread', 401));

// A plain node:http front for the app, so a real socket carries the client's trickle.
const server = createServer(async (req, res) => {
  const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
  const answer = await app.fetch(
    new Request(`http://x${req.url}`, {
      method: req.method,
      headers: req.headers as HeadersInit,
      body,
      duplex: 'half',
    } as RequestInit),
  );
  if (!res.destroyed) res.writeHead(answer.status).end(await answer.text());
});
let port: number;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('drainUnreadBody', () => {
  it('answers (or closes) a client trickling a byte every 500 ms once the total deadline passes', async () => {
    const started = Date.now();
    const ended = await new Promise<string>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: { 'content-length': '10000' },
      });
      const trickle = setInterval(() => req.write('x'), 500);
      const done = (how: string) => {
        clearInterval(trickle);
        req.destroy();
        resolve(how);
      };
      req.on('response', (res) => done(`answered ${res.statusCode}`));
      req.on('error', () => done('closed'));
      req.write('x');
    });
    const elapsed = Date.now() - started;
    // Each byte restarts the idle timer, so only the total deadline can end the drain.
    expect(elapsed).toBeGreaterThanOrEqual(TOTAL_MS - 100);
    expect(elapsed).toBeLessThan(TOTAL_MS + 2 * IDLE_MS);
    expect(ended).toMatch(/answered 401|closed/);
  });
});

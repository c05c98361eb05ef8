/// <reference types="node" />
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../context';
import { onError } from '../../errors/error-handler';
import { requestId } from '../request-id';
import { bodyLimit } from '.';

let handlerRan = false;
const app = new Hono<AppEnv>()
  .use(requestId())
  .use(bodyLimit({ maxBytes: 100 }))
  .post('/', async (c) => {
    handlerRan = true;
    return c.text(String((await c.req.text()).length));
  });
app.onError(onError);

const streamOf = (bytes: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let sent = 0; sent < bytes; sent += 10) controller.enqueue(new Uint8Array(10));
      controller.close();
    },
  });

describe('body limit', () => {
  it('lets a body at the limit through', async () => {
    const res = await app.request('/', { method: 'POST', body: 'x'.repeat(100) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('100');
  });

  it('refuses by Content-Length before the handler reads anything', async () => {
    handlerRan = false;
    const res = await app.request('/', { method: 'POST', body: 'x'.repeat(101) });
    expect(res.status).toBe(413);
    expect(handlerRan).toBe(false);
    const { error } = (await res.json()) as {
      error: { code: string; details: { field: string; limit: number }[] };
    };
    expect(error.code).toBe('payload_too_large');
    expect(error.details[0]).toMatchObject({ field: '(body)', limit: 100 });
  });

  it('refuses a chunked body without Content-Length once it passes the limit', async () => {
    const res = await app.request('/', {
      method: 'POST',
      body: streamOf(200),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('checks its options once, at construction', () => {
    expect(() => bodyLimit({ maxBytes: 0 })).toThrow(/maxBytes/);
  });
});

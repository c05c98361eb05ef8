/// <reference types="node" />
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../context';
import { onError } from '../../errors/error-handler';
import { requestId } from '../request-id';
import { idempotency } from '.';

const app = new Hono<AppEnv>()
  .use(requestId())
  .post('/', idempotency(), async (c) =>
    c.json({ seen: c.var.idempotency ?? null, body: await c.req.text() }),
  );
app.onError(onError);

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const post = (body: string, key?: string) =>
  app.request('/', { method: 'POST', body, headers: key === undefined ? {} : { 'idempotency-key': key } });

describe('idempotency middleware', () => {
  it('hashes the key and the exact body, leaving the body readable for the route', async () => {
    const res = await post('{"prompt":"x"}', 'order-42');
    expect(await res.json()).toEqual({
      seen: { keyHash: sha('order-42'), bodyHash: sha('{"prompt":"x"}') },
      body: '{"prompt":"x"}',
    });
  });

  it('passes requests without the header untouched', async () => {
    expect(((await (await post('{}')).json()) as { seen: unknown }).seen).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with a space', 'a b'],
    ['non-ASCII', 'clé'],
  ])('refuses a key that is %s with 422 naming Idempotency-Key', async (_, key) => {
    const res = await post('{}', key);
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { details: { field: string }[] } };
    expect(error.details[0].field).toBe('Idempotency-Key');
  });
});

/// <reference types="node" />
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { onError } from '../../errors/error-handler';
import { requestId } from '.';

const app = new Hono<AppEnv>()
  .use(requestId())
  .get('/ok', (c) => c.json({ id: c.var.requestId }))
  .get('/fail', () => {
    throw new ApiError('not_found', 'nothing here');
  });
app.onError(onError);

describe('request id', () => {
  it('makes a fresh id, echoes it as X-Request-Id and exposes it to handlers', async () => {
    const res = await app.request('/ok');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^req_[0-9A-Za-z]{20}$/);
    expect(await res.json()).toEqual({ id });
    expect((await app.request('/ok')).headers.get('x-request-id')).not.toBe(id);
  });

  it('keeps a well-formed incoming id and replaces a malformed one', async () => {
    const kept = await app.request('/ok', { headers: { 'x-request-id': 'lb-1234-abcd' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-1234-abcd');
    const replaced = await app.request('/ok', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('puts the same id in error bodies', async () => {
    const res = await app.request('/fail');
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { request_id: string; code: string } };
    expect(body.error).toMatchObject({ code: 'not_found', request_id: res.headers.get('x-request-id') });
  });
});

/// <reference types="node" />
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../context';
import { type Config, parseConfig } from '../../env';
import { onError } from '../../errors/error-handler';
import { requestId } from '../request-id';
import { tokenAuth } from '.';

const config: Config = parseConfig({
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
  ADMIN_TOKEN: 'admin-secret-0123456789',
  WORKER_TOKEN: 'worker-secret-0123456789',
  URL_SIGNING_SECRET: 'signing-secret-0123456789',
});

const app = new Hono<AppEnv>()
  .use(requestId())
  .use(async (c, next) => {
    c.set('config', config);
    await next();
  })
  .use('/admin/*', tokenAuth({ secret: (c) => c.adminToken, realm: 'admin' }))
  .use('/worker/*', tokenAuth({ secret: (c) => c.workerToken, realm: 'worker' }))
  .get('/admin/x', (c) => c.text('admin ok'))
  .get('/worker/x', (c) => c.text('worker ok'));
app.onError(onError);

const get = (path: string, token?: string) =>
  app.request(path, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('token auth', () => {
  it('admits the right token for each surface only', async () => {
    expect(await (await get('/admin/x', 'admin-secret-0123456789')).text()).toBe('admin ok');
    expect(await (await get('/worker/x', 'worker-secret-0123456789')).text()).toBe('worker ok');
    expect((await get('/admin/x', 'worker-secret-0123456789')).status).toBe(401);
    expect((await get('/worker/x', 'admin-secret-0123456789')).status).toBe(401);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a prefix of the token', 'admin-secret'],
    ['the token plus a character', 'admin-secret-01234567890'],
    ['another case', 'ADMIN-SECRET-0123456789'],
  ])('refuses %s with 401 unauthorized', async (_, token) => {
    const res = await get('/admin/x', token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

import { type EdgeStack, startEdgeStack } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(async () => {
  await stack?.stop();
});

const adminHeaders = () => ({
  authorization: `Bearer ${stack.adminToken}`,
  'content-type': 'application/json',
});

describe('admin API', () => {
  it('creates an account, reads it back, and refuses a wrong admin token', async () => {
    const created = await stack.fetch('/admin/v1/accounts', {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ name: 'Acme', credits: 250, plan: 'pro' }),
    });
    expect(created.status).toBe(201);
    const account = (await created.json()) as { id: string; credits: number; plan: string; limits: unknown };
    expect(account).toMatchObject({ name: 'Acme', credits: 250, plan: 'pro', reserved: 0 });
    expect(account.id).toMatch(/^acct_/);

    const read = await stack.fetch(`/admin/v1/accounts/${account.id}`, { headers: adminHeaders() });
    expect(await read.json()).toEqual(account);

    const wrong = await stack.fetch(`/admin/v1/accounts/${account.id}`, {
      headers: { authorization: `Bearer ${stack.adminToken}x` },
    });
    expect(wrong.status).toBe(401);
    // The worker token is not an admin token.
    const worker = await stack.fetch(`/admin/v1/accounts/${account.id}`, {
      headers: { authorization: `Bearer ${stack.workerToken}` },
    });
    expect(worker.status).toBe(401);
  });

  it('adds credits, changes plan, limits and customer, and 404s an unknown account', async () => {
    const { id } = await stack.createAccount({ credits: 10 });
    const credits = await stack.fetch(`/admin/v1/accounts/${id}/credits`, {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ amount: 32.5 }),
    });
    expect(((await credits.json()) as { credits: number }).credits).toBe(42.5);

    const patched = await stack.fetch(`/admin/v1/accounts/${id}`, {
      method: 'PATCH',
      headers: adminHeaders(),
      body: JSON.stringify({
        plan: 'enterprise',
        stripe_customer: 'cus_123',
        limits: { concurrent_jobs: 7 },
      }),
    });
    expect(await patched.json()).toMatchObject({
      plan: 'enterprise',
      stripe_customer: 'cus_123',
      limits: { concurrent_jobs: 7, requests_per_minute: 6000 },
    });

    const missing = await stack.fetch('/admin/v1/accounts/acct_nope/credits', {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ amount: 1 }),
    });
    expect(missing.status).toBe(404);
    expect(await stack.redis.exists('acct:acct_nope')).toBe(0);
  });

  it('shows a key once, stores only its hash, and revocation makes it a 401', async () => {
    const account = await stack.createAccount();
    expect(account.apiKey).toMatch(/^ldm_live_[0-9A-Za-z]{32}$/);
    const stored = await stack.redis.keys('apikey:*');
    expect(stored.some((k) => k.includes(account.apiKey))).toBe(false);

    const before = await stack.fetch('/v1/account', { headers: account.headers });
    expect(before.status).toBe(200);
    expect(((await before.json()) as { id: string }).id).toBe(account.id);

    const revoke = await stack.fetch(`/admin/v1/keys/${account.keyId}`, {
      method: 'DELETE',
      headers: adminHeaders(),
    });
    expect(revoke.status).toBe(204);
    const after = await stack.fetch('/v1/account', { headers: account.headers });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);

    const again = await stack.fetch('/admin/v1/keys/key_unknown', {
      method: 'DELETE',
      headers: adminHeaders(),
    });
    expect(again.status).toBe(404);
  });
});

describe('API key auth', () => {
  const cases: [string, Record<string, string>][] = [
    ['no header', {}],
    ['not bearer', { authorization: 'Basic abc' }],
    ['malformed key', { authorization: 'Bearer ldm_live_short' }],
    ['unknown key', { authorization: `Bearer ldm_live_${'A'.repeat(32)}` }],
    ['admin token as key', { authorization: 'Bearer admin' }],
  ];
  it.each(cases)('%s -> 401 with the error envelope', async (_, headers) => {
    const res = await stack.fetch('/v1/account', { headers });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('answers unknown routes with a 404 envelope and healthz with Redis status', async () => {
    const missing = await stack.fetch('/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const health = await stack.fetch('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', redis: { ok: true } });
  });
});

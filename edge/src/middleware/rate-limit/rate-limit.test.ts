/// <reference types="node" />

import { type EdgeStack, startEdgeStack } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// In workerd with @upstash/ratelimit on real Redis through the bridge.
let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(async () => {
  await stack?.stop();
});

const setRpm = (accountId: string, rpm: number | null) =>
  stack.fetch(`/admin/v1/accounts/${accountId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ limits: { requests_per_minute: rpm } }),
  });

describe('per-key rate limit', () => {
  it('follows an operator’s limit change at once, in both directions', async () => {
    const account = await stack.createAccount({ limits: { requests_per_minute: 2 } });
    const status = async () => (await stack.fetch('/v1/account', { headers: account.headers })).status;
    expect([await status(), await status(), await status()]).toEqual([200, 200, 429]);

    // Raised: the request refused under the remembered limit is judged again under the new one.
    await setRpm(account.id, 5);
    const raised = await stack.fetch('/v1/account', { headers: account.headers });
    expect(raised.status).toBe(200);
    expect(raised.headers.get('ratelimit-limit')).toBe('5');
    expect([await status(), await status(), await status()]).toEqual([200, 200, 429]);

    // Lowered below what was used: the next request after the change is refused at the latest.
    await setRpm(account.id, 1);
    await status();
    expect(await status()).toBe(429);
  });

  it('counts per key: two keys of the same account have separate budgets', async () => {
    const account = await stack.createAccount({ limits: { requests_per_minute: 1 } });
    const second = await stack.fetch(`/admin/v1/accounts/${account.id}/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { key } = (await second.json()) as { key: string };
    expect((await stack.fetch('/v1/account', { headers: account.headers })).status).toBe(200);
    expect((await stack.fetch('/v1/account', { headers: account.headers })).status).toBe(429);
    expect((await stack.fetch('/v1/account', { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );
  });
});

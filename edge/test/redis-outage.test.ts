import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: EdgeStack;
let account: TestAccount;
beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount();
  // Redis (and its bridge) go away; the edge keeps running.
  await stack.bridge.stop();
});
afterAll(async () => {
  await stack?.runtime.stop();
});

describe('Redis unreachable', () => {
  it('answers 503 service_unavailable with Retry-After, never a 500', async () => {
    for (const [path, init] of [
      ['/v1/account', { headers: account.headers }],
      ['/healthz', {}],
      [
        '/v1/generations',
        {
          method: 'POST',
          headers: { ...account.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'x' }),
        },
      ],
    ] as const) {
      const res = await stack.fetch(path, init as RequestInit);
      expect(res.status, path).toBe(503);
      const { error } = (await res.json()) as { error: { code: string } };
      expect(error.code).toBe('service_unavailable');
      if (path !== '/healthz') expect(res.headers.get('retry-after')).toBeTruthy();
    }
  });

  it('still serves what needs no Redis', async () => {
    const models = await stack.fetch('/v1/models');
    expect(models.status).toBe(200);
    // The catalog without the workers' export reports (they live in Redis), and not cached as such.
    const { data } = (await models.json()) as { data: { name: string; export: unknown }[] };
    expect(data.map((m) => m.name)).toContain('demo-shapes');
    for (const model of data) expect(model.export).toBeNull();
    expect(models.headers.get('cache-control')).toBe('no-store');
    expect((await stack.fetch('/docs')).status).toBe(200);
  });
});

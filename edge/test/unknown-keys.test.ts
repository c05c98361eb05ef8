import { randomBytes } from 'node:crypto';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Unknown API keys must cost no per-key state: random well-formed keys once each created a
// rate-limit counter in Redis (the limiter ran before the key was known).
let stack: EdgeStack;
let account: TestAccount;

beforeAll(async () => {
  stack = await startEdgeStack();
  account = await stack.createAccount();
});
afterAll(async () => {
  await stack?.stop();
});

const randomKey = () => `ldm_live_${randomBytes(16).toString('hex')}`;

async function allKeys(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await stack.redis.scan(cursor, { count: 1000 });
    found.push(...batch);
    cursor = String(next);
  } while (cursor !== '0');
  return found;
}

describe('unknown API keys', () => {
  it('N random well-formed keys create no Redis keys but one failure counter per address', async () => {
    // A key that exists, used once first, so the limiter has written what it writes for a real key.
    expect((await stack.fetch('/v1/account', { headers: account.headers })).status).toBe(200);
    const before = new Set(await allKeys());
    const sizeBefore = await stack.redis.dbsize();
    const N = 25;
    for (let i = 0; i < N; i++) {
      const res = await stack.fetch('/v1/account', {
        headers: { authorization: `Bearer ${randomKey()}`, 'cf-connecting-ip': '198.51.100.7' },
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const added = (await allKeys()).filter((k) => !before.has(k));
    // At most the per-address failure counter; before the fix: N rate-limit counters.
    expect(added.length).toBeLessThanOrEqual(1);
    expect(added.every((k) => k.startsWith('authfail:'))).toBe(true);
    expect(await stack.redis.dbsize()).toBeLessThanOrEqual(sizeBefore + 1);
  });

  it('more than 30 failures from one address in a minute answer 429; other addresses and real keys are served', async () => {
    const address = '203.0.113.9';
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const res = await stack.fetch('/v1/generations', {
        headers: { authorization: `Bearer ${randomKey()}`, 'cf-connecting-ip': address },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        const body = (await res.json()) as { error: { code: string } };
        expect(body.error.code).toBe('rate_limited');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } else await res.body?.cancel();
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    const elsewhere = await stack.fetch('/v1/account', {
      headers: { authorization: `Bearer ${randomKey()}`, 'cf-connecting-ip': '203.0.113.10' },
    });
    expect(elsewhere.status).toBe(401);
    const real = await stack.fetch('/v1/account', {
      headers: { ...account.headers, 'cf-connecting-ip': address },
    });
    expect(real.status).toBe(200);
  });

  it('an IPv6 client is counted by its /64', async () => {
    for (let i = 0; i < 31; i++) {
      const res = await stack.fetch('/v1/account', {
        headers: {
          authorization: `Bearer ${randomKey()}`,
          'cf-connecting-ip': `2001:db8:1:2::${(i + 1).toString(16)}`,
        },
      });
      await res.body?.cancel();
    }
    const res = await stack.fetch('/v1/account', {
      headers: { authorization: `Bearer ${randomKey()}`, 'cf-connecting-ip': '2001:db8:1:2:ffff::1' },
    });
    expect(res.status).toBe(429);
  });
});

import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';
import { RedisConnection } from './redis-connection';
import { parseRedisUrl } from './redis-url';

let stack: RedisWithBridge;
let redis: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token });
});
afterAll(() => stack?.stop());

/** Runs `count` limit() calls one after another, so each decision sees the previous ones. */
async function decisions(limiter: Ratelimit, identifier: string, count: number) {
  const results = [];
  for (let i = 0; i < count; i++) results.push(await limiter.limit(identifier));
  return results;
}

/** Redis's own per-command counters, read directly: proof of which path the client took. */
async function commandStats(): Promise<string> {
  const direct = new RedisConnection(parseRedisUrl(stack.redisUrl));
  const [info] = await direct.send([['INFO', 'commandstats']]);
  direct.close();
  return String(info);
}

// No ephemeral cache: every decision must come from the Lua scripts running in Redis.
describe('@upstash/ratelimit through the bridge', () => {
  it('slidingWindow allows 5 then rejects', async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(5, '30 s'),
      prefix: 'rl-sliding',
      ephemeralCache: false,
    });
    const results = await decisions(limiter, 'user-1', 7);
    expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(results[0].limit).toBe(5);
    // Another identifier has its own budget.
    expect((await limiter.limit('user-2')).success).toBe(true);
    expect((await limiter.getRemaining('user-1')).remaining).toBe(0);
  });

  it('fixedWindow allows 5 then rejects, and resetUsedTokens restores the budget', async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(5, '30 s'),
      prefix: 'rl-fixed',
      ephemeralCache: false,
    });
    const results = await decisions(limiter, 'user-1', 7);
    expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false, false]);
    expect(results[0].reset).toBeGreaterThan(Date.now());
    await limiter.resetUsedTokens('user-1');
    expect((await limiter.limit('user-1')).success).toBe(true);
  });

  it('tokenBucket spends its tokens then rejects until refill', async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(1, '30 s', 3),
      prefix: 'rl-bucket',
      ephemeralCache: false,
    });
    const results = await decisions(limiter, 'user-1', 5);
    expect(results.map((r) => r.success)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect((await limiter.getRemaining('user-1')).remaining).toBe(0);
  });

  it('runs its scripts by hash after the first call', async () => {
    const stats = await commandStats();
    const evalsha = /cmdstat_evalsha:calls=(\d+),.*?failed_calls=(\d+)/.exec(stats);
    expect(evalsha).not.toBeNull();
    const [calls, failed] = [Number(evalsha?.[1]), Number(evalsha?.[2])];
    // Each script fails EVALSHA once (NOSCRIPT, then EVAL registers it) and hits afterwards.
    expect(calls - failed).toBeGreaterThanOrEqual(10);
  });
});

/// <reference types="node" />
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashFromReply } from '../hash-reply';
import { keys } from '../keys';
import { settleFollower } from './settle-follower';
import { submitGeneration } from './submit-generation';
import { type ScriptRedisFixture, startScriptRedis } from './test-support/script-redis';

let fx: ScriptRedisFixture;
beforeAll(async () => {
  fx = await startScriptRedis();
});
afterAll(async () => {
  await fx?.stop();
});

const submit = (jobId: string, accountId: string) =>
  submitGeneration(fx.redis, {
    accountId,
    jobId,
    model: 'demo-shapes',
    fields: {
      account_id: accountId,
      model: 'demo-shapes',
      input: '{}',
      request: '{}',
      fingerprint: 'fp',
      units_cache_hit: '2',
    },
    units: 10,
    cacheHitUnits: 2,
    concurrencyLimit: 5,
    retentionSeconds: 3600,
    fingerprint: 'fp',
    day: '2026-11-26',
  });
const hash = async (key: string) => hashFromReply(await fx.redis.hgetall(key)) ?? {};

// Leader gen_l (acct_a) with follower gen_f (acct_b), as submit leaves them.
beforeEach(async () => {
  await fx.redis.flushdb();
  await fx.redis.hset(keys.account('acct_a'), { id: 'acct_a', credits: 100, reserved: 0 });
  await fx.redis.hset(keys.account('acct_b'), { id: 'acct_b', credits: 100, reserved: 0 });
  await submit('gen_l', 'acct_a');
  await submit('gen_f', 'acct_b');
});

describe('settle-follower.lua', () => {
  it('mirrors a running leader', async () => {
    await fx.redis.hset(keys.job('gen_l'), { status: 'running', started_at: 123 });
    expect((await settleFollower(fx.redis, 'gen_f', '2026-11-26')).outcome).toBe('following');
    expect(await hash(keys.job('gen_f'))).toMatchObject({ status: 'running', started_at: '123' });
  });

  it('succeeds from the leader’s outputs and charges only the cache price', async () => {
    await fx.redis.hset(keys.job('gen_l'), {
      status: 'succeeded',
      outputs: '[{"key":"k"}]',
      completed_at: 5,
    });
    const { outcome, job } = await settleFollower(fx.redis, 'gen_f', '2026-11-26');
    expect(outcome).toBe('succeeded');
    expect(job).toMatchObject({ status: 'succeeded', cached: '1', outputs: '[{"key":"k"}]', units: '2' });
    expect(await hash(keys.account('acct_b'))).toMatchObject({ credits: '98', reserved: '0' });
    expect(await fx.redis.get(keys.accountActive('acct_b'))).toBe('0');
    expect((await settleFollower(fx.redis, 'gen_f', '2026-11-26')).outcome).toBe('unchanged');
  });

  it('fails with the leader and gives the credits back', async () => {
    await fx.redis.hset(keys.job('gen_l'), {
      status: 'failed',
      error: '{"code":"model_error","message":"x"}',
    });
    expect((await settleFollower(fx.redis, 'gen_f', '2026-11-26')).outcome).toBe('failed');
    expect(await hash(keys.job('gen_f'))).toMatchObject({
      status: 'failed',
      error: '{"code":"model_error","message":"x"}',
    });
    expect(await hash(keys.account('acct_b'))).toMatchObject({ credits: '100', reserved: '0' });
  });

  it('takes the work over when the leader was canceled', async () => {
    await fx.redis.hset(keys.job('gen_l'), { status: 'canceled' });
    expect((await settleFollower(fx.redis, 'gen_f', '2026-11-26')).outcome).toBe('requeued');
    const follower = await hash(keys.job('gen_f'));
    expect(follower.status).toBe('queued');
    expect(follower.leader).toBeUndefined();
    expect(await fx.redis.get(keys.cacheLive('fp'))).toBe('gen_f');
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(2);
  });
});

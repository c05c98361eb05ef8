/// <reference types="node" />
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashFromReply } from '../hash-reply';
import { keys } from '../keys';
import { cancelGeneration } from './cancel-generation';
import { type SubmitParams, submitGeneration } from './submit-generation';
import { type ScriptRedisFixture, startScriptRedis } from './test-support/script-redis';

let fx: ScriptRedisFixture;
beforeAll(async () => {
  fx = await startScriptRedis();
});
afterAll(async () => {
  await fx?.stop();
});
beforeEach(async () => {
  await fx.redis.flushdb();
  await fx.redis.hset(keys.account('acct_a'), { id: 'acct_a', credits: 100, reserved: 0 });
  await fx.redis.hset(keys.account('acct_b'), { id: 'acct_b', credits: 100, reserved: 0 });
});

const submit = (jobId: string, accountId = 'acct_a', fingerprint = '') =>
  submitGeneration(fx.redis, {
    accountId,
    jobId,
    model: 'demo-shapes',
    fields: { account_id: accountId, model: 'demo-shapes', input: '{}', request: '{}', fingerprint },
    units: 10,
    cacheHitUnits: 0,
    concurrencyLimit: 5,
    retentionSeconds: 3600,
    fingerprint,
    day: '2026-11-26',
  } satisfies SubmitParams);
const hash = async (key: string) => hashFromReply(await fx.redis.hgetall(key)) ?? {};

describe('cancel-generation.lua', () => {
  it('ends a queued job at once: credits and slot back, stream entry gone, live fingerprint cleared', async () => {
    await submit('gen_q', 'acct_a', 'fp');
    const result = await cancelGeneration(fx.redis, 'acct_a', 'gen_q');
    expect(result).toMatchObject({ outcome: 'canceled', job: { status: 'canceled', units: '0' } });
    expect(await hash(keys.account('acct_a'))).toMatchObject({ credits: '100', reserved: '0' });
    expect(await fx.redis.get(keys.accountActive('acct_a'))).toBe('0');
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(0);
    expect(await fx.redis.get(keys.cacheLive('fp'))).toBeNull();
    expect((await cancelGeneration(fx.redis, 'acct_a', 'gen_q')).outcome).toBe('unchanged');
  });

  it('flags a running job instead of ending it', async () => {
    await submit('gen_r');
    await fx.redis.hset(keys.job('gen_r'), { status: 'running' });
    expect(await cancelGeneration(fx.redis, 'acct_a', 'gen_r')).toMatchObject({
      outcome: 'cancel_requested',
    });
    expect(await hash(keys.job('gen_r'))).toMatchObject({ status: 'running', cancel_requested: '1' });
    expect(await hash(keys.account('acct_a'))).toMatchObject({ reserved: '10' });
  });

  it('is not_found for another account and invalid_state for finished work', async () => {
    await submit('gen_x');
    expect(await cancelGeneration(fx.redis, 'acct_b', 'gen_x')).toEqual({ outcome: 'not_found' });
    expect(await cancelGeneration(fx.redis, 'acct_a', 'gen_none')).toEqual({ outcome: 'not_found' });
    await fx.redis.hset(keys.job('gen_x'), { status: 'succeeded' });
    expect((await cancelGeneration(fx.redis, 'acct_a', 'gen_x')).outcome).toBe('invalid_state');
  });

  it('promotes the first follower of a canceled leader and re-points the others', async () => {
    await submit('gen_lead', 'acct_a', 'fp');
    await submit('gen_f1', 'acct_b', 'fp');
    await submit('gen_f2', 'acct_b', 'fp');
    await cancelGeneration(fx.redis, 'acct_a', 'gen_lead');
    const heir = await hash(keys.job('gen_f1'));
    expect(heir.status).toBe('queued');
    expect(heir.leader).toBeUndefined();
    expect(heir.stream_id).toBeTruthy();
    expect(await fx.redis.get(keys.cacheLive('fp'))).toBe('gen_f1');
    expect((await hash(keys.job('gen_f2'))).leader).toBe('gen_f1');
    expect(await fx.redis.lrange(keys.jobFollowers('gen_f1'), 0, -1)).toEqual(['gen_f2']);
    expect(await fx.redis.exists(keys.jobFollowers('gen_lead'))).toBe(0);
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(1);
  });

  it('ends a follower alone without touching its leader', async () => {
    await submit('gen_lead', 'acct_a', 'fp');
    await submit('gen_f', 'acct_b', 'fp');
    expect((await cancelGeneration(fx.redis, 'acct_b', 'gen_f')).outcome).toBe('canceled');
    expect(await fx.redis.lrange(keys.jobFollowers('gen_lead'), 0, -1)).toEqual([]);
    expect((await hash(keys.job('gen_lead'))).status).toBe('queued');
    expect(await hash(keys.account('acct_b'))).toMatchObject({ credits: '100', reserved: '0' });
  });
});

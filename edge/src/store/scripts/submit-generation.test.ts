/// <reference types="node" />
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashFromReply } from '../hash-reply';
import { keys, QUEUE_GROUP } from '../keys';
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
});

let n = 0;
const params = (over: Partial<SubmitParams> = {}): SubmitParams => ({
  accountId: 'acct_a',
  jobId: `gen_${++n}`,
  model: 'demo-shapes',
  fields: {
    account_id: 'acct_a',
    model: 'demo-shapes',
    input: '{}',
    request: '{}',
    fingerprint: over.fingerprint ?? '',
  },
  units: 10,
  cacheHitUnits: 1,
  concurrencyLimit: 5,
  retentionSeconds: 3600,
  fingerprint: '',
  day: '2026-11-26',
  ...over,
});
const run = (over: Partial<SubmitParams> = {}) => submitGeneration(fx.redis, params(over));
const hash = async (key: string) => hashFromReply(await fx.redis.hgetall(key)) ?? {};

describe('submit-generation.lua', () => {
  it('creates a queued job: record, index, credit hold, active count, stream entry in the group', async () => {
    const result = await run({ jobId: 'gen_new' });
    expect(result).toMatchObject({
      outcome: 'created',
      jobId: 'gen_new',
      job: { status: 'queued', units_reserved: '10' },
    });
    expect(await hash(keys.account('acct_a'))).toMatchObject({ credits: '90', reserved: '10' });
    expect(await fx.redis.get(keys.accountActive('acct_a'))).toBe('1');
    expect(await fx.redis.zscore(keys.accountJobs('acct_a'), 'gen_new')).not.toBeNull();
    expect(await fx.redis.ttl(keys.job('gen_new'))).toBeGreaterThan(3500);
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(1);
    const streamId = (await hash(keys.job('gen_new'))).stream_id;
    const entry = await fx.redis.xrange(keys.queue('demo-shapes'), streamId, streamId);
    expect(JSON.stringify(entry)).toContain('"job","gen_new"');
    const groups = (await fx.redis.xinfo(keys.queue('demo-shapes'), { type: 'GROUPS' })) as unknown[][];
    expect(JSON.stringify(groups)).toContain(QUEUE_GROUP);
  });

  it('answers a new job with the record exactly as stored, field for field', async () => {
    // The script does not send a new job's record back; submitGeneration rebuilds it from what
    // it sent and what the script decided. This is the check that the two never drift apart.
    const result = await run({
      jobId: 'gen_exact',
      units: 1.8192,
      fields: { ...params().fields, input: '{"a":"\\"q\\""}' },
    });
    expect(result.outcome).toBe('created');
    if (result.outcome !== 'created') return;
    expect(result.job).toEqual(await hash(keys.job('gen_exact')));
    expect(result.job.input).toBe('{"a":"\\"q\\""}');
  });

  it('refuses short credits with the figures and writes nothing', async () => {
    const result = await run({ units: 150 });
    expect(result).toEqual({ outcome: 'insufficient_credits', available: 100, needed: 150 });
    expect(await fx.redis.exists(keys.queue('demo-shapes'))).toBe(0);
    expect(await hash(keys.account('acct_a'))).toMatchObject({ credits: '100', reserved: '0' });
  });

  it('refuses beyond the concurrency cap', async () => {
    await run({ concurrencyLimit: 2 });
    await run({ concurrencyLimit: 2 });
    expect(await run({ concurrencyLimit: 2 })).toEqual({
      outcome: 'concurrency_limited',
      active: 2,
      limit: 2,
    });
  });

  it('replays the same idempotency key and body, refuses another body, restarts after expiry', async () => {
    const idem = (bodyHash: string) => ({ keyHash: 'k1', bodyHash, ttlSeconds: 60 });
    const first = await run({ jobId: 'gen_first', idempotency: idem('b1') });
    expect(first.outcome).toBe('created');
    expect(await run({ idempotency: idem('b1') })).toMatchObject({ outcome: 'replayed', jobId: 'gen_first' });
    expect(await run({ idempotency: idem('b2') })).toEqual({
      outcome: 'idempotency_conflict',
      jobId: 'gen_first',
    });
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(1);
    await fx.redis.del(keys.job('gen_first'));
    expect(await run({ jobId: 'gen_again', idempotency: idem('b1') })).toMatchObject({
      outcome: 'created',
      jobId: 'gen_again',
    });
  });

  it('answers from the cache when the fingerprint’s job succeeded, charging the cache price', async () => {
    await fx.redis.hset(keys.job('gen_done'), {
      status: 'succeeded',
      outputs: '[{"key":"outputs/x/gen_done/0.png"}]',
    });
    await fx.redis.set(keys.cacheDone('fp1'), 'gen_done');
    const result = await run({ jobId: 'gen_hit', fingerprint: 'fp1' });
    expect(result).toMatchObject({
      outcome: 'cached',
      jobId: 'gen_hit',
      job: {
        status: 'succeeded',
        cached: '1',
        units: '1',
        cache_source: 'gen_done',
        outputs: '[{"key":"outputs/x/gen_done/0.png"}]',
      },
    });
    expect(await hash(keys.account('acct_a'))).toMatchObject({ credits: '99', reserved: '0' });
    expect(await fx.redis.exists(keys.queue('demo-shapes'))).toBe(0);
    expect(await fx.redis.get(keys.accountActive('acct_a'))).toBeNull();
    expect(await fx.redis.xlen(keys.usageOutbox())).toBe(1);
  });

  it('ignores a cache pointer whose job is no longer a success', async () => {
    await fx.redis.hset(keys.job('gen_gone'), { status: 'failed' });
    await fx.redis.set(keys.cacheDone('fp2'), 'gen_gone');
    expect((await run({ fingerprint: 'fp2' })).outcome).toBe('created');
  });

  it('coalesces onto a live identical job: own record, follower list, no stream entry', async () => {
    const leader = await run({ jobId: 'gen_leader', fingerprint: 'fp3' });
    expect(leader.outcome).toBe('created');
    expect(await fx.redis.get(keys.cacheLive('fp3'))).toBe('gen_leader');
    const follower = await run({ jobId: 'gen_follower', fingerprint: 'fp3' });
    expect(follower).toMatchObject({
      outcome: 'coalesced',
      leader: 'gen_leader',
      job: { status: 'queued', leader: 'gen_leader' },
    });
    expect(await fx.redis.lrange(keys.jobFollowers('gen_leader'), 0, -1)).toEqual(['gen_follower']);
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(1);
    // The follower holds its full price and a concurrency slot until it settles.
    expect(await hash(keys.account('acct_a'))).toMatchObject({ credits: '80', reserved: '20' });
    expect(await fx.redis.get(keys.accountActive('acct_a'))).toBe('2');
  });

  it('says no_account for a deleted account', async () => {
    expect(await run({ accountId: 'acct_missing' })).toEqual({ outcome: 'no_account' });
  });
});

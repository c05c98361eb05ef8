import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { ackCancelJob } from './ack-cancel-job';
import { completeJob } from './complete-job';
import { failJob } from './fail-job';
import { type LeaseGrant, leaseJobs } from './lease-jobs';
import { type ScriptRedisFixture, startScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedAccount, seedFollower, seedQueuedJob } from './test-support/seed-job';
import { readHash, readStream } from './test-support/state-snapshot';

// The worker-side half of the coalescing contract in keys.ts: when a leader ends, its followers
// (identical seeded requests, other accounts included) end with it, or inherit its work.
let fx: ScriptRedisFixture;
let grant: LeaseGrant;

beforeAll(async () => {
  fx = await startScriptRedis();
});
afterAll(() => fx?.stop());
beforeEach(async () => {
  await fx.redis.flushall();
  await seedAccount(fx.redis, 'acct_1');
  await seedAccount(fx.redis, 'acct_2');
  await seedQueuedJob(fx.redis, { jobId: 'leader', unitsReserved: 10, fingerprint: 'fp1' });
  await seedFollower(fx.redis, {
    jobId: 'f1',
    leaderId: 'leader',
    accountId: 'acct_2',
    unitsReserved: 10,
    unitsCacheHit: 1,
  });
  await seedFollower(fx.redis, {
    jobId: 'f2',
    leaderId: 'leader',
    accountId: 'acct_2',
    unitsReserved: 10,
    unitsCacheHit: 1,
  });
  [grant] = (
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: 30_000 })
  ).jobs;
});

const account2 = () => readHash(fx.redis, keys.account('acct_2'));

describe('coalesced followers', () => {
  it('leader succeeds: followers succeed from its outputs, cached, charged the cache price', async () => {
    const outputs = [
      { key: 'outputs/acct_1/leader/0.png', content_type: 'image/png', width: 64, height: 64, seed: 42 },
    ];
    await completeJob(fx.redis, { jobId: 'leader', leaseToken: grant.lease_token, outputs, inferenceMs: 5 });
    for (const id of ['f1', 'f2']) {
      const f = await readHash(fx.redis, keys.job(id));
      expect(f).toMatchObject({ status: 'succeeded', cached: '1', cache_source: 'leader', units: '1' });
      expect(JSON.parse(f.outputs)).toEqual(outputs);
    }
    const account = await account2();
    expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS - 2);
    expect(Number(account.reserved)).toBe(0);
    expect(await fx.redis.get(keys.accountActive('acct_2'))).toBe('0');
    expect(await fx.redis.exists(keys.jobFollowers('leader'))).toBe(0);
    // One billing event per charged job: the leader's and each follower's cache charge.
    expect((await readStream(fx.redis, keys.usageOutbox())).map((e) => e.job).sort()).toEqual([
      'f1',
      'f2',
      'leader',
    ]);
  });

  it('leader fails for good: followers fail with its error, their holds released', async () => {
    await failJob(fx.redis, {
      jobId: 'leader',
      leaseToken: grant.lease_token,
      error: { code: 'model_error', message: 'NaN in latents' },
      retryable: false,
    });
    for (const id of ['f1', 'f2']) {
      const f = await readHash(fx.redis, keys.job(id));
      expect(f.status).toBe('failed');
      expect(JSON.parse(f.error)).toEqual({ code: 'model_error', message: 'NaN in latents' });
    }
    const account = await account2();
    expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS);
    expect(Number(account.reserved)).toBe(0);
    expect(await fx.redis.get(keys.accountActive('acct_2'))).toBe('0');
  });

  it('leader canceled by its owner: the first follower is queued to do the work, the other follows it', async () => {
    await fx.redis.hset(keys.job('leader'), { cancel_requested: '1' });
    const result = await ackCancelJob(fx.redis, { jobId: 'leader', leaseToken: grant.lease_token });
    expect(result).toMatchObject({ outcome: 'ok', status: 'canceled', promoted: 'f1' });

    const f1 = await readHash(fx.redis, keys.job('f1'));
    expect(f1.status).toBe('queued');
    expect(f1.leader).toBeUndefined();
    expect(await readStream(fx.redis, keys.queue('demo-shapes'))).toEqual([{ job: 'f1', attempt: '1' }]);
    expect(await fx.redis.get(keys.cacheLive('fp1'))).toBe('f1');
    expect((await readHash(fx.redis, keys.job('f2'))).leader).toBe('f1');
    expect(await fx.redis.lrange(keys.jobFollowers('f1'), 0, -1)).toEqual(['f2']);
    // f1's account still holds its credits: the work is still owed to it.
    expect(Number((await account2()).reserved)).toBe(20);

    const [next] = (
      await leaseJobs(fx.redis, { workerId: 'w2', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: 30_000 })
    ).jobs;
    expect(next).toMatchObject({ job_id: 'f1', attempt: 1 });
  });

  it('a retryable failure with attempts left leaves the followers waiting', async () => {
    await failJob(fx.redis, {
      jobId: 'leader',
      leaseToken: grant.lease_token,
      error: { code: 'out_of_memory', message: 'OOM' },
      retryable: true,
    });
    expect((await readHash(fx.redis, keys.job('f1'))).leader).toBe('leader');
    expect(await fx.redis.lrange(keys.jobFollowers('leader'), 0, -1)).toEqual(['f1', 'f2']);
  });
});

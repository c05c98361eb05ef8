import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { type FailJobOptions, failJob } from './fail-job';
import { type LeaseGrant, leaseJobs } from './lease-jobs';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
import { readHash, readStream, snapshotJob } from './test-support/state-snapshot';

const TTL = 30_000;
const fx = useScriptRedis();

beforeEach(async () => {
  await seedQueuedJob(fx.redis, { jobId: 'j1', unitsReserved: 10, maxAttempts: 2, fingerprint: 'fp1' });
});

async function lease(workerId = 'w1'): Promise<LeaseGrant> {
  const [grant] = (
    await leaseJobs(fx.redis, { workerId, models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: TTL })
  ).jobs;
  return grant;
}
const fail = (grant: LeaseGrant, extra: Partial<FailJobOptions> = {}) =>
  failJob(fx.redis, {
    jobId: 'j1',
    leaseToken: grant.lease_token,
    error: { code: 'out_of_memory', message: 'CUDA out of memory' },
    retryable: true,
    ...extra,
  });

async function expectCreditsReleased() {
  const account = await readHash(fx.redis, keys.account('acct_1'));
  expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS);
  expect(Number(account.reserved)).toBe(0);
  expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('0');
}

describe('fail-job', () => {
  it('requeues a retryable failure as a new entry; the next lease is attempt 2', async () => {
    const first = await lease();
    expect(await fail(first)).toEqual({
      outcome: 'ok',
      status: 'queued',
      model: 'demo-shapes',
      repeated: false,
      promoted: null,
    });

    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job.status).toBe('queued');
    expect(job.lease_token).toBeUndefined();
    expect(JSON.parse(job.last_error)).toEqual({ code: 'out_of_memory', message: 'CUDA out of memory' });
    expect(await fx.redis.zscore(keys.leases(), 'j1')).toBeNull();
    // Exactly one entry: the old one acknowledged and deleted, a new one carrying attempt 2.
    expect(await readStream(fx.redis, keys.queue('demo-shapes'))).toEqual([{ job: 'j1', attempt: '2' }]);

    const second = await lease('w2');
    expect(second).toMatchObject({ job_id: 'j1', attempt: 2 });
  });

  it('fails for good once the attempts are spent, releasing the credits', async () => {
    await fail(await lease());
    expect(await fail(await lease())).toEqual({
      outcome: 'ok',
      status: 'failed',
      model: 'demo-shapes',
      repeated: false,
      promoted: null,
    });
    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job.status).toBe('failed');
    expect(JSON.parse(job.error)).toEqual({ code: 'out_of_memory', message: 'CUDA out of memory' });
    await expectCreditsReleased();
    expect(await fx.redis.get(keys.cacheLive('fp1'))).toBeNull();
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(0);
  });

  it('fails a non-retryable error at once, with attempts left', async () => {
    const grant = await lease();
    const result = await fail(grant, {
      retryable: false,
      error: { code: 'invalid_input_image', message: 'not a PNG' },
    });
    expect(result).toEqual({
      outcome: 'ok',
      status: 'failed',
      model: 'demo-shapes',
      repeated: false,
      promoted: null,
    });
    expect((await readHash(fx.redis, keys.job('j1'))).status).toBe('failed');
    await expectCreditsReleased();
    // A retry of the same call (reply lost) gets the same answer.
    expect(await fail(grant, { retryable: false })).toMatchObject({ status: 'failed', repeated: true });
  });

  it('ends the job canceled when a cancel was requested meanwhile', async () => {
    const grant = await lease();
    await fx.redis.hset(keys.job('j1'), { cancel_requested: '1' });
    expect(await fail(grant)).toEqual({
      outcome: 'ok',
      status: 'canceled',
      model: 'demo-shapes',
      repeated: false,
      promoted: null,
    });
    await expectCreditsReleased();
  });

  it('refuses a stale token with lease_lost and changes nothing', async () => {
    await lease();
    const before = await snapshotJob(fx.redis, 'j1');
    expect(await fail({ lease_token: 'lt_stale' } as LeaseGrant)).toEqual({ outcome: 'lease_lost' });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
  });
});

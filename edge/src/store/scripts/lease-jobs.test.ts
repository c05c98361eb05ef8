import type { JobInput } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { heartbeatJob } from './heartbeat-job';
import { leaseJobs } from './lease-jobs';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
import { readHash, sleep } from './test-support/state-snapshot';

const TTL = 30_000;
const fx = useScriptRedis();

const lease = (workerId: string, extra: Partial<Parameters<typeof leaseJobs>[1]> = {}) =>
  leaseJobs(fx.redis, { workerId, models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: TTL, ...extra });

describe('lease-jobs', () => {
  it('leases a queued job: running, attempt 1, fresh token, expiry, submit time, worker, start time, lease index', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1', input: { prompt: 'a blue square' } });
    const before = Date.now();
    const { jobs } = await lease('w1');

    expect(jobs).toHaveLength(1);
    const [grant] = jobs;
    expect(grant.job_id).toBe('j1');
    expect(grant.attempt).toBe(1);
    expect(grant.lease_token).toMatch(/^lt_[0-9a-f]{32}$/);
    expect(grant.lease_expires_at).toBeGreaterThanOrEqual(before + TTL - 50);
    expect((JSON.parse(grant.input) as JobInput).prompt).toBe('a blue square');

    const job = await readHash(fx.redis, keys.job('j1'));
    // The submit time travels with the grant, for the worker's queue-wait metric.
    expect(grant.queued_at).toBe(Number(job.created_at));
    expect(job).toMatchObject({
      status: 'running',
      attempt: '1',
      lease_token: grant.lease_token,
      lease_expires_at: String(grant.lease_expires_at),
      worker_id: 'w1',
    });
    expect(Number(job.started_at)).toBeGreaterThanOrEqual(before - 50);
    expect(Number(await fx.redis.zscore(keys.leases(), 'j1'))).toBe(grant.lease_expires_at);
    // Nothing else waits: a second worker gets nothing.
    expect((await lease('w2')).jobs).toEqual([]);
  });

  it('returns only jobs of the models asked for, up to max_jobs, oldest first', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'a1', model: 'model-a' });
    await seedQueuedJob(fx.redis, { jobId: 'b1', model: 'model-b' });
    await seedQueuedJob(fx.redis, { jobId: 'a2', model: 'model-a' });
    await seedQueuedJob(fx.redis, { jobId: 'a3', model: 'model-a' });

    const first = await lease('w1', { models: ['model-a'], maxJobs: 2 });
    expect(first.jobs.map((j) => j.job_id)).toEqual(['a1', 'a2']);
    const second = await lease('w1', { models: ['model-a'], maxJobs: 4 });
    expect(second.jobs.map((j) => j.job_id)).toEqual(['a3']);
    expect(await fx.redis.hget(keys.job('b1'), 'status')).toBe('queued');
  });

  it('skips and acknowledges entries of jobs canceled while queued or gone', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'gone' });
    await seedQueuedJob(fx.redis, { jobId: 'canceled' });
    await seedQueuedJob(fx.redis, { jobId: 'live' });
    await fx.redis.del(keys.job('gone'));
    await fx.redis.hset(keys.job('canceled'), { status: 'canceled' });

    const { jobs } = await lease('w1');
    expect(jobs.map((j) => j.job_id)).toEqual(['live']);
    // The skipped entries left the stream and the pending list; only the leased one remains.
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(1);
    expect(await fx.redis.hget(keys.job('canceled'), 'status')).toBe('canceled');
  });

  it('answers an empty list for a model that never had a queue', async () => {
    expect((await lease('w1', { models: ['never-submitted'] })).jobs).toEqual([]);
  });

  it('never hands one job to two workers under concurrent lease calls', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    for (const jobId of ids) await seedQueuedJob(fx.redis, { jobId });

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => lease(`w${i}`, { maxJobs: 2 })));
    const granted = results.flatMap((r) => r.jobs.map((j) => j.job_id));
    expect(granted.sort()).toEqual([...ids].sort());
    expect(new Set(granted).size).toBe(granted.length);
  });

  it('reclaims an expired lease as attempt 2 for the next caller; the old token is fenced off', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1' });
    const [first] = (await lease('w1', { leaseTtlMs: 200 })).jobs;
    await sleep(300);

    const [second] = (await lease('w2', { leaseTtlMs: 200 })).jobs;
    expect(second).toMatchObject({ job_id: 'j1', attempt: 2 });
    expect(second.lease_token).not.toBe(first.lease_token);
    expect(await fx.redis.hget(keys.job('j1'), 'worker_id')).toBe('w2');

    const stale = await heartbeatJob(fx.redis, {
      jobId: 'j1',
      leaseToken: first.lease_token,
      leaseTtlMs: TTL,
    });
    expect(stale).toEqual({ outcome: 'lease_lost' });
  });

  it('does not reclaim a lease its worker keeps alive with heartbeats', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1' });
    const [grant] = (await lease('w1', { leaseTtlMs: 400 })).jobs;
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      const beat = await heartbeatJob(fx.redis, {
        jobId: 'j1',
        leaseToken: grant.lease_token,
        leaseTtlMs: 400,
      });
      expect(beat.outcome).toBe('ok');
    }
    // 600 ms after the lease began, longer than its TTL, the job is still w1's.
    expect((await lease('w2', { leaseTtlMs: 400 })).jobs).toEqual([]);
    expect(await fx.redis.hget(keys.job('j1'), 'lease_token')).toBe(grant.lease_token);
  });

  it('fails the job and releases its credits when the last attempt expires', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1', maxAttempts: 2, unitsReserved: 25, fingerprint: 'fp1' });
    await lease('w1', { leaseTtlMs: 150 });
    await sleep(250);
    expect((await lease('w2', { leaseTtlMs: 150 })).jobs[0].attempt).toBe(2);
    await sleep(250);

    const third = await lease('w3', { leaseTtlMs: 150 });
    expect(third.jobs).toEqual([]);
    expect(third.ended).toEqual([{ job_id: 'j1', status: 'failed' }]);

    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job.status).toBe('failed');
    expect(JSON.parse(job.error ?? '{}')).toMatchObject({ code: 'lease_expired' });
    expect(job.units).toBe('0');
    const account = await readHash(fx.redis, keys.account('acct_1'));
    expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS);
    expect(Number(account.reserved)).toBe(0);
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('0');
    expect(await fx.redis.zscore(keys.leases(), 'j1')).toBeNull();
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(0);
    expect(await fx.redis.get(keys.cacheLive('fp1'))).toBeNull();
  });
});

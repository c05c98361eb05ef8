import { describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { completeJob } from './complete-job';
import { heartbeatJob } from './heartbeat-job';
import { leaseJobs } from './lease-jobs';
import { reapExpiredLeases } from './reap-expired-leases';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
import { readHash, readStream, sleep } from './test-support/state-snapshot';

const fx = useScriptRedis();

const lease = async (workerId: string, model = 'demo-shapes', leaseTtlMs = 100) =>
  (await leaseJobs(fx.redis, { workerId, models: [model], maxJobs: 1, leaseTtlMs })).jobs[0];

describe('reap-expired-leases', () => {
  it('requeues an expired lease; the next lease is attempt 2 and the old holder is fenced off', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1', model: 'model-a' });
    const first = await lease('w1', 'model-a');
    await sleep(150);

    const reaped = await reapExpiredLeases(fx.redis);
    expect(reaped).toEqual({ scanned: 1, requeued: [{ job_id: 'j1', model: 'model-a' }], ended: [] });
    expect((await readHash(fx.redis, keys.job('j1'))).status).toBe('queued');
    expect(await readStream(fx.redis, keys.queue('model-a'))).toEqual([{ job: 'j1', attempt: '2' }]);

    const second = await lease('w2', 'model-a', 30_000);
    expect(second).toMatchObject({ job_id: 'j1', attempt: 2 });
    expect(
      await heartbeatJob(fx.redis, { jobId: 'j1', leaseToken: first.lease_token, leaseTtlMs: 30_000 }),
    ).toEqual({ outcome: 'lease_lost' });
  });

  it('fails the job at the retry limit and releases its credits', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1', maxAttempts: 2, unitsReserved: 30 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await lease(`w${attempt}`)).attempt).toBe(attempt);
      await sleep(150);
      await reapExpiredLeases(fx.redis);
    }
    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job.status).toBe('failed');
    expect(JSON.parse(job.error).code).toBe('lease_expired');
    const account = await readHash(fx.redis, keys.account('acct_1'));
    expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS);
    expect(Number(account.reserved)).toBe(0);
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('0');
    expect(await fx.redis.zcard(keys.leases())).toBe(0);
  });

  it('cancels rather than retries an expired job whose cancel was requested', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1' });
    await lease('w1');
    await fx.redis.hset(keys.job('j1'), { cancel_requested: '1' });
    await sleep(150);
    expect((await reapExpiredLeases(fx.redis)).ended).toEqual([{ job_id: 'j1', status: 'canceled' }]);
    expect((await readHash(fx.redis, keys.job('j1'))).status).toBe('canceled');
  });

  it('leaves live leases alone and tidies members of finished jobs', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'live' });
    await seedQueuedJob(fx.redis, { jobId: 'done' });
    const live = await lease('w1', 'demo-shapes', 30_000);
    const done = await lease('w2', 'demo-shapes', 30_000);
    await completeJob(fx.redis, {
      jobId: done.job_id,
      leaseToken: done.lease_token,
      outputs: [{ key: 'k', content_type: 'image/png', width: 64, height: 64, seed: 1 }],
      inferenceMs: 1,
    });
    // A member left behind with an old score (as after a crash between systems): must not reap.
    await fx.redis.zadd(keys.leases(), { score: 1, member: done.job_id });
    await fx.redis.zadd(keys.leases(), { score: 1, member: live.job_id });

    const reaped = await reapExpiredLeases(fx.redis);
    expect(reaped).toEqual({ scanned: 2, requeued: [], ended: [] });
    expect(await fx.redis.zscore(keys.leases(), done.job_id)).toBeNull();
    expect(Number(await fx.redis.zscore(keys.leases(), live.job_id))).toBe(live.lease_expires_at);
    expect((await readHash(fx.redis, keys.job(live.job_id))).status).toBe('running');
  });
});

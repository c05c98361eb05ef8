import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { leaseJobs } from './lease-jobs';
import { releaseJob } from './release-job';
import { useScriptRedis } from './test-support/script-redis';
import { seedQueuedJob } from './test-support/seed-job';
import { readHash, readStream, snapshotJob } from './test-support/state-snapshot';

const TTL = 30_000;
const fx = useScriptRedis();

beforeEach(async () => {
  await seedQueuedJob(fx.redis, { jobId: 'j1', maxAttempts: 1 });
});

const lease = async (workerId: string) =>
  (await leaseJobs(fx.redis, { workerId, models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: TTL })).jobs[0];

describe('release-job', () => {
  it('gives a job back to the queue without spending an attempt', async () => {
    const grant = await lease('draining');
    expect(await releaseJob(fx.redis, { jobId: 'j1', leaseToken: grant.lease_token })).toEqual({
      outcome: 'ok',
      status: 'queued',
      model: 'demo-shapes',
      promoted: null,
    });
    expect(await readStream(fx.redis, keys.queue('demo-shapes'))).toEqual([{ job: 'j1', attempt: '1' }]);
    // max_attempts is 1: had the release counted, the job could not run again.
    const again = await lease('w2');
    expect(again).toMatchObject({ job_id: 'j1', attempt: 1 });
    expect((await readHash(fx.redis, keys.job('j1'))).status).toBe('running');
  });

  it('refuses a stale token with lease_lost and changes nothing', async () => {
    await lease('w1');
    const before = await snapshotJob(fx.redis, 'j1');
    expect(await releaseJob(fx.redis, { jobId: 'j1', leaseToken: 'lt_stale' })).toEqual({
      outcome: 'lease_lost',
    });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
  });
});

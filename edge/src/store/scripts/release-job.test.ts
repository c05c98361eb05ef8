import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { leaseJobs } from './lease-jobs';
import { releaseJob } from './release-job';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
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

  it('fails a job given back more than max_releases times: credits and slot back, webhook recorded', async () => {
    await fx.redis.hset(keys.job('j1'), { request: JSON.stringify({ webhook: 'https://example.com/hook' }) });
    for (let release = 1; release <= 3; release++) {
      const grant = await lease(`w${release}`);
      expect(grant, `lease ${release}`).toMatchObject({ job_id: 'j1', attempt: 1 });
      const result = await releaseJob(fx.redis, {
        jobId: 'j1',
        leaseToken: grant.lease_token,
        maxReleases: 2,
      });
      expect(result, `release ${release}`).toMatchObject({
        outcome: 'ok',
        status: release <= 2 ? 'queued' : 'failed',
      });
    }
    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job).toMatchObject({ status: 'failed', releases: '3', units: '0' });
    expect(JSON.parse(job.error)).toEqual({
      code: 'too_many_releases',
      message: 'workers gave the job back 2 times without finishing it',
    });
    expect(await readHash(fx.redis, keys.account('acct_1'))).toMatchObject({
      credits: String(SEED_ACCOUNT_CREDITS),
      reserved: '0',
    });
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('0');
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(0);
    expect(await fx.redis.zscore(keys.webhooksDue(), 'j1:completed')).not.toBeNull();
    expect(await lease('w4')).toBeUndefined();
  });

  it('does not count a give-back the worker never asked for (maxReleases omitted)', async () => {
    for (let release = 1; release <= 4; release++) {
      const grant = await lease(`w${release}`);
      expect(await releaseJob(fx.redis, { jobId: 'j1', leaseToken: grant.lease_token })).toMatchObject({
        status: 'queued',
      });
    }
    expect((await readHash(fx.redis, keys.job('j1'))).releases).toBeUndefined();
  });
});

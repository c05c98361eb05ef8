import { describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { leaseJobs } from './lease-jobs';
import { releaseJob } from './release-job';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedFollower, seedQueuedJob } from './test-support/seed-job';
import { readHash, sleep } from './test-support/state-snapshot';
import { timeOutQueuedJobs } from './time-out-queued-jobs';

const fx = useScriptRedis();
const TIMEOUT = 300;
const lease = (model = 'demo-shapes') =>
  leaseJobs(fx.redis, { workerId: 'w1', models: [model], maxJobs: 1, leaseTtlMs: 30_000 });

describe('time-out-queued-jobs', () => {
  it('fails jobs no worker took in time, releasing holds and slots, followers and webhooks included', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'leased', unitsReserved: 10 });
    expect((await lease()).jobs.map((j) => j.job_id)).toEqual(['leased']);
    await seedQueuedJob(fx.redis, { jobId: 'stale', unitsReserved: 10, fingerprint: 'fp1' });
    await fx.redis.hset(keys.job('stale'), {
      request: JSON.stringify({ webhook: 'https://example.com/hook' }),
    });
    await seedFollower(fx.redis, { jobId: 'follower', leaderId: 'stale', unitsReserved: 10 });
    // A model no worker serves: nothing would ever lease this one.
    await seedQueuedJob(fx.redis, { jobId: 'unserved', model: 'no-worker-model', unitsReserved: 5 });
    await sleep(TIMEOUT + 50);
    await seedQueuedJob(fx.redis, { jobId: 'fresh', unitsReserved: 10 });
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('5');

    const { ended } = await timeOutQueuedJobs(fx.redis, { timeoutMs: TIMEOUT, seenWindowMs: 60_000 });

    // demo-shapes is served (the lease above asked for it): too few workers. Nobody asked for the other.
    expect(ended.map((e) => `${e.job_id}:${e.model}:${e.code}`).sort()).toEqual([
      'stale:demo-shapes:queue_timeout',
      'unserved:no-worker-model:no_capacity',
    ]);
    for (const [id, code] of [
      ['stale', 'queue_timeout'],
      ['follower', 'queue_timeout'],
      ['unserved', 'no_capacity'],
    ]) {
      const job = await readHash(fx.redis, keys.job(id));
      expect(job.status, id).toBe('failed');
      expect(JSON.parse(job.error).code, id).toBe(code);
    }
    expect((await readHash(fx.redis, keys.job('leased'))).status).toBe('running');
    expect((await readHash(fx.redis, keys.job('fresh'))).status).toBe('queued');
    // Holds of the three ended jobs back; the leased and the fresh job still hold theirs.
    expect(await readHash(fx.redis, keys.account('acct_1'))).toMatchObject({
      credits: String(SEED_ACCOUNT_CREDITS - 20),
      reserved: '20',
    });
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('2');
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(2);
    expect(await fx.redis.xlen(keys.queue('no-worker-model'))).toBe(0);
    expect(await fx.redis.get(keys.cacheLive('fp1'))).toBeNull();
    // The failure webhook, as for any other failure.
    expect(await fx.redis.zscore(keys.webhooksDue(), 'stale:completed')).not.toBeNull();
    // Nothing else is due: a second run ends nothing.
    expect((await timeOutQueuedJobs(fx.redis, { timeoutMs: TIMEOUT, seenWindowMs: 60_000 })).ended).toEqual(
      [],
    );
  });

  it('a job given back to its queue waits anew from its new entry', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'j1' });
    const [grant] = (await lease()).jobs;
    await sleep(TIMEOUT + 50);
    expect(await releaseJob(fx.redis, { jobId: 'j1', leaseToken: grant.lease_token })).toMatchObject({
      status: 'queued',
    });
    expect((await timeOutQueuedJobs(fx.redis, { timeoutMs: TIMEOUT, seenWindowMs: 60_000 })).ended).toEqual(
      [],
    );
    await sleep(TIMEOUT + 50);
    expect(
      (await timeOutQueuedJobs(fx.redis, { timeoutMs: TIMEOUT, seenWindowMs: 60_000 })).ended.map(
        (e) => e.job_id,
      ),
    ).toEqual(['j1']);
  });
});

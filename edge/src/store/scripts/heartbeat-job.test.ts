import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { heartbeatJob } from './heartbeat-job';
import { type LeaseGrant, leaseJobs } from './lease-jobs';
import { useScriptRedis } from './test-support/script-redis';
import { seedAccount, seedQueuedJob } from './test-support/seed-job';
import { readHash, sleep, snapshotJob } from './test-support/state-snapshot';

const TTL = 30_000;
const fx = useScriptRedis();
let grant: LeaseGrant;

beforeEach(async () => {
  await seedQueuedJob(fx.redis, { jobId: 'j1' });
  [grant] = (
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: TTL })
  ).jobs;
});

describe('heartbeat-job', () => {
  it('extends the lease, records progress and answers cancel: false', async () => {
    await sleep(20);
    const beat = await heartbeatJob(fx.redis, {
      jobId: 'j1',
      leaseToken: grant.lease_token,
      leaseTtlMs: TTL,
      progress: { step: 7, total: 20 },
    });
    if (beat.outcome !== 'ok') throw new Error(beat.outcome);
    expect(beat.cancel).toBe(false);
    expect(beat.lease_expires_at).toBeGreaterThan(grant.lease_expires_at);

    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job).toMatchObject({
      progress_step: '7',
      progress_total: '20',
      lease_expires_at: String(beat.lease_expires_at),
    });
    expect(Number(await fx.redis.zscore(keys.leases(), 'j1'))).toBe(beat.lease_expires_at);
  });

  it('clamps a step beyond the total', async () => {
    await heartbeatJob(fx.redis, {
      jobId: 'j1',
      leaseToken: grant.lease_token,
      leaseTtlMs: TTL,
      progress: { step: 99, total: 20 },
    });
    expect((await readHash(fx.redis, keys.job('j1'))).progress_step).toBe('20');
  });

  it('answers cancel: true once a cancel was requested for the running job', async () => {
    await fx.redis.hset(keys.job('j1'), { cancel_requested: '1' });
    const beat = await heartbeatJob(fx.redis, {
      jobId: 'j1',
      leaseToken: grant.lease_token,
      leaseTtlMs: TTL,
    });
    expect(beat).toMatchObject({ cancel: true });
  });

  it('refuses a stale token with lease_lost and changes nothing', async () => {
    const before = await snapshotJob(fx.redis, 'j1');
    const beat = await heartbeatJob(fx.redis, {
      jobId: 'j1',
      leaseToken: 'lt_not_the_token',
      leaseTtlMs: TTL,
      progress: { step: 5, total: 20 },
    });
    expect(beat).toEqual({ outcome: 'lease_lost' });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
  });

  it('refuses the right token once the lease has expired, changing nothing', async () => {
    await fx.redis.flushall();
    await seedAccount(fx.redis);
    await seedQueuedJob(fx.redis, { jobId: 'j1' });
    const [short] = (
      await leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: 100 })
    ).jobs;
    await sleep(150);
    const before = await snapshotJob(fx.redis, 'j1');
    expect(
      await heartbeatJob(fx.redis, { jobId: 'j1', leaseToken: short.lease_token, leaseTtlMs: TTL }),
    ).toEqual({ outcome: 'lease_lost' });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
  });

  it('answers not_found for a job that does not exist', async () => {
    expect(
      await heartbeatJob(fx.redis, { jobId: 'nope', leaseToken: grant.lease_token, leaseTtlMs: TTL }),
    ).toEqual({ outcome: 'not_found' });
  });
});

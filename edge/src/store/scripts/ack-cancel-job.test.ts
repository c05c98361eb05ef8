import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { ackCancelJob } from './ack-cancel-job';
import { heartbeatJob } from './heartbeat-job';
import { type LeaseGrant, leaseJobs } from './lease-jobs';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
import { readHash, snapshotJob } from './test-support/state-snapshot';

const TTL = 30_000;
const fx = useScriptRedis();
let grant: LeaseGrant;

beforeEach(async () => {
  await seedQueuedJob(fx.redis, { jobId: 'j1', unitsReserved: 8 });
  [grant] = (
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: TTL })
  ).jobs;
});

describe('ack-cancel-job', () => {
  it('cancel while running: heartbeat says cancel, the worker acknowledges, the job ends canceled', async () => {
    // What the public cancel route does to a running job (DESIGN: the worker stops at its next heartbeat).
    await fx.redis.hset(keys.job('j1'), { cancel_requested: '1' });
    const beat = await heartbeatJob(fx.redis, {
      jobId: 'j1',
      leaseToken: grant.lease_token,
      leaseTtlMs: TTL,
    });
    expect(beat).toMatchObject({ cancel: true });

    expect(await ackCancelJob(fx.redis, { jobId: 'j1', leaseToken: grant.lease_token })).toEqual({
      outcome: 'ok',
      status: 'canceled',
      model: 'demo-shapes',
      repeated: false,
      promoted: null,
    });
    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job.status).toBe('canceled');
    expect(job.units).toBe('0');
    const account = await readHash(fx.redis, keys.account('acct_1'));
    expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS);
    expect(Number(account.reserved)).toBe(0);
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('0');
    expect(await fx.redis.zscore(keys.leases(), 'j1')).toBeNull();
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(0);

    // The heartbeat after the end is refused: the worker must stop.
    expect(
      await heartbeatJob(fx.redis, { jobId: 'j1', leaseToken: grant.lease_token, leaseTtlMs: TTL }),
    ).toEqual({ outcome: 'lease_lost' });
  });

  it('refuses to acknowledge a cancel nobody asked for, changing nothing', async () => {
    const before = await snapshotJob(fx.redis, 'j1');
    expect(await ackCancelJob(fx.redis, { jobId: 'j1', leaseToken: grant.lease_token })).toEqual({
      outcome: 'not_requested',
    });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
  });

  it('refuses a stale token with lease_lost and changes nothing', async () => {
    await fx.redis.hset(keys.job('j1'), { cancel_requested: '1' });
    const before = await snapshotJob(fx.redis, 'j1');
    expect(await ackCancelJob(fx.redis, { jobId: 'j1', leaseToken: 'lt_stale' })).toEqual({
      outcome: 'lease_lost',
    });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../keys';
import { type CompleteJobOptions, completeJob } from './complete-job';
import { heartbeatJob } from './heartbeat-job';
import { type LeaseGrant, leaseJobs } from './lease-jobs';
import { useScriptRedis } from './test-support/script-redis';
import { SEED_ACCOUNT_CREDITS, seedQueuedJob } from './test-support/seed-job';
import { readHash, readStream, snapshotJob } from './test-support/state-snapshot';

const TTL = 30_000;
const RETENTION_MS = 3_600_000;
const fx = useScriptRedis();
let grant: LeaseGrant;

beforeEach(async () => {
  await seedQueuedJob(fx.redis, {
    jobId: 'j1',
    unitsReserved: 12.5,
    fingerprint: 'fp1',
    input: { num_outputs: 2 },
  });
  await fx.redis.pexpire(keys.job('j1'), RETENTION_MS);
  [grant] = (
    await leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: TTL })
  ).jobs;
  await heartbeatJob(fx.redis, {
    jobId: 'j1',
    leaseToken: grant.lease_token,
    leaseTtlMs: TTL,
    progress: { step: 19, total: 20 },
  });
});

const outputs = [0, 1].map((index) => ({
  key: `outputs/acct_1/j1/${index}.png`,
  content_type: 'image/png',
  width: 64,
  height: 64,
  seed: 42 + index,
}));
const complete = (extra: Partial<CompleteJobOptions> = {}) =>
  completeJob(fx.redis, {
    jobId: 'j1',
    leaseToken: grant.lease_token,
    outputs,
    inferenceMs: 1234,
    ...extra,
  });

describe('complete-job', () => {
  it('stores the outputs and ends the job succeeded', async () => {
    expect(await complete()).toEqual({ outcome: 'ok', units: 12.5, repeated: false });
    const job = await readHash(fx.redis, keys.job('j1'));
    expect(job).toMatchObject({
      status: 'succeeded',
      inference_ms: '1234',
      units: '12.5',
      progress_step: '20',
    });
    expect(JSON.parse(job.outputs)).toEqual(outputs);
    expect(Number(job.completed_at)).toBeGreaterThanOrEqual(Number(job.started_at));
    expect(job.lease_expires_at).toBeUndefined();
  });

  it('settles credits: the hold is released and the same amount charged', async () => {
    await complete();
    const account = await readHash(fx.redis, keys.account('acct_1'));
    expect(Number(account.reserved)).toBe(0);
    expect(Number(account.credits)).toBe(SEED_ACCOUNT_CREDITS - 12.5);
    expect(await fx.redis.get(keys.accountActive('acct_1'))).toBe('0');
  });

  it('leaves no lease and no queue entry behind', async () => {
    await complete();
    expect(await fx.redis.zscore(keys.leases(), 'j1')).toBeNull();
    expect(await fx.redis.xlen(keys.queue('demo-shapes'))).toBe(0);
    expect(await fx.redis.xpending(keys.queue('demo-shapes'), 'workers', '-', '+', 10)).toEqual([]);
  });

  it('makes the job the cache answer for its fingerprint, for as long as the job is kept', async () => {
    await complete();
    expect(await fx.redis.get(keys.cacheDone('fp1'))).toBe('j1');
    expect(await fx.redis.get(keys.cacheLive('fp1'))).toBeNull();
    const ttl = await fx.redis.pttl(keys.cacheDone('fp1'));
    expect(ttl).toBeGreaterThan(RETENTION_MS - 10_000);
    expect(ttl).toBeLessThanOrEqual(RETENTION_MS);
  });

  it('appends one usage event to the outbox and adds to the daily ledger', async () => {
    await complete();
    const fields = await readStream(fx.redis, keys.usageOutbox());
    expect(fields).toHaveLength(1);
    expect(fields[0]).toMatchObject({ job: 'j1', account: 'acct_1', model: 'demo-shapes', units: '12.5' });
    // The ledger day is the completion's UTC day on Redis's clock.
    const day = new Date(Number((await readHash(fx.redis, keys.job('j1'))).completed_at))
      .toISOString()
      .slice(0, 10);
    const ledger = await readHash(fx.redis, keys.usageDay('acct_1', day));
    expect(ledger).toEqual({ 'demo-shapes:units': '12.5', 'demo-shapes:jobs': '1' });
  });

  it('answers a repeated call with the same token the same, without billing twice', async () => {
    await complete();
    const after = await snapshotJob(fx.redis, 'j1');
    expect(await complete()).toEqual({ outcome: 'ok', units: 12.5, repeated: true });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(after);
  });

  it('refuses a stale token with lease_lost and changes nothing', async () => {
    const before = await snapshotJob(fx.redis, 'j1');
    expect(await complete({ leaseToken: 'lt_stale' })).toEqual({ outcome: 'lease_lost' });
    expect(await snapshotJob(fx.redis, 'j1')).toEqual(before);
    expect(await fx.redis.get(keys.cacheDone('fp1'))).toBeNull();
  });
});

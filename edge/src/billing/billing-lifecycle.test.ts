import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../env';
import { keys } from '../store/keys';
import { completeJob } from '../store/scripts/complete-job';
import { failJob } from '../store/scripts/fail-job';
import { leaseJobs } from '../store/scripts/lease-jobs';
import { reapExpiredLeases } from '../store/scripts/reap-expired-leases';
import { type ScriptRedisFixture, startScriptRedis } from '../store/scripts/test-support/script-redis';
import {
  SEED_ACCOUNT_CREDITS,
  seedAccount,
  seedFollower,
  seedQueuedJob,
} from '../store/scripts/test-support/seed-job';
import { readHash, readStream, sleep } from '../store/scripts/test-support/state-snapshot';
import { flushUsage } from './flush-usage';
import { linkStripeCustomer } from './scripts/stripe-link-scripts';
import { stripeClient } from './stripe-client';
import { type StripeRecorder, startStripeRecorder } from './test-support/stripe-recorder';

// Every way a job can end, from the billing side: what the account is charged, what the ledger
// and the outbox say, and what reaches Stripe. The worker-side scripts are the real ones.
let fx: ScriptRedisFixture;
let recorder: StripeRecorder;
let stripeConfig: Config['stripe'];

beforeAll(async () => {
  [fx, recorder] = await Promise.all([startScriptRedis(), startStripeRecorder()]);
});
afterAll(async () => {
  await Promise.all([fx?.stop(), recorder?.stop()]);
});
beforeEach(async () => {
  await fx.redis.flushall();
  recorder.accepted.length = 0;
  stripeConfig = {
    secretKey: 'sk_test_lifecycle',
    webhookSecret: '',
    apiBase: recorder.url,
    meterEventName: 'ldm_units',
    meterApi: 'stream',
    timeoutMs: 2_000,
    retryBaseMs: 100,
    retryMaxMs: 1_000,
  };
  await seedAccount(fx.redis, 'acct_1');
  await linkStripeCustomer(fx.redis, 'acct_1', 'cus_One');
});

const PNG = [{ key: 'outputs/acct_1/j/0.png', content_type: 'image/png', width: 64, height: 64, seed: 1 }];
const lease = (workerId: string, leaseTtlMs = 60_000) =>
  leaseJobs(fx.redis, { workerId, models: ['demo-shapes'], maxJobs: 1, leaseTtlMs }).then((r) => r.jobs[0]);
const account = (id = 'acct_1') => readHash(fx.redis, keys.account(id));
const outboxJobs = async () => (await readStream(fx.redis, keys.usageOutbox())).map((e) => e.job);
const flush = () =>
  flushUsage({ redis: fx.redis, stripe: stripeClient(stripeConfig), stripeConfig }, { force: true });
const today = () => new Date().toISOString().slice(0, 10);

describe('billing across job lifecycles', () => {
  it('a worker killed mid-job and the job retried by another is charged and metered once', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'gen_killed', unitsReserved: 12.5, maxAttempts: 3 });
    const first = await lease('doomed-worker', 1_000);
    expect(first.job_id).toBe('gen_killed');
    // The worker dies: no heartbeat, the lease runs out, the reaper puts the job back.
    await sleep(1_100);
    expect((await reapExpiredLeases(fx.redis)).requeued.map((r) => r.job_id)).toEqual(['gen_killed']);
    const second = await lease('healthy-worker');
    expect(second).toMatchObject({ job_id: 'gen_killed', attempt: 2 });
    expect(
      await completeJob(fx.redis, {
        jobId: 'gen_killed',
        leaseToken: second.lease_token,
        outputs: PNG,
        inferenceMs: 9,
      }),
    ).toMatchObject({ outcome: 'ok', units: 12.5 });
    // The dead worker's late completion (it was only partitioned) is refused and charges nothing.
    expect(
      await completeJob(fx.redis, {
        jobId: 'gen_killed',
        leaseToken: first.lease_token,
        outputs: PNG,
        inferenceMs: 9,
      }),
    ).toEqual({ outcome: 'lease_lost' });
    // And the healthy worker repeating its call (lost reply) is answered without a second charge.
    expect(
      await completeJob(fx.redis, {
        jobId: 'gen_killed',
        leaseToken: second.lease_token,
        outputs: PNG,
        inferenceMs: 9,
      }),
    ).toMatchObject({ outcome: 'ok', repeated: true });

    expect(await account()).toMatchObject({ credits: String(SEED_ACCOUNT_CREDITS - 12.5), reserved: '0' });
    expect(await outboxJobs()).toEqual(['gen_killed']);
    expect(await readHash(fx.redis, keys.usageDay('acct_1', today()))).toEqual({
      'demo-shapes:units': '12.5',
      'demo-shapes:jobs': '1',
    });
    expect(await flush()).toMatchObject({ sent: 1 });
    expect(recorder.accepted).toEqual([
      expect.objectContaining({ identifier: 'gen_killed', value: '12.5', customer: 'cus_One' }),
    ]);
  });

  it('the last lease expiring fails the job and gives every held unit back; nothing is metered', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'gen_expired', unitsReserved: 7, maxAttempts: 1 });
    await lease('w', 1_000);
    expect(await account()).toMatchObject({ credits: String(SEED_ACCOUNT_CREDITS - 7), reserved: '7' });
    await sleep(1_100);
    expect((await reapExpiredLeases(fx.redis)).ended).toEqual([{ job_id: 'gen_expired', status: 'failed' }]);
    expect(await account()).toMatchObject({ credits: String(SEED_ACCOUNT_CREDITS), reserved: '0' });
    expect(await readHash(fx.redis, keys.job('gen_expired'))).toMatchObject({ status: 'failed', units: '0' });
    expect(await outboxJobs()).toEqual([]);
    expect(await flush()).toMatchObject({ sent: 0 });
  });

  it('a worker-reported failure refunds; a retryable one keeps the hold until the retry settles', async () => {
    await seedQueuedJob(fx.redis, { jobId: 'gen_fail', unitsReserved: 4, maxAttempts: 2 });
    const a = await lease('w1');
    await failJob(fx.redis, {
      jobId: 'gen_fail',
      leaseToken: a.lease_token,
      error: { code: 'oom', message: 'out of memory' },
      retryable: true,
    });
    expect(await account()).toMatchObject({ reserved: '4' });
    const b = await lease('w2');
    await failJob(fx.redis, {
      jobId: 'gen_fail',
      leaseToken: b.lease_token,
      error: { code: 'bad_input', message: 'no' },
      retryable: false,
    });
    expect(await account()).toMatchObject({ credits: String(SEED_ACCOUNT_CREDITS), reserved: '0' });
    expect(await outboxJobs()).toEqual([]);
  });

  it('coalesced followers: charged the cache price when the leader succeeds (metered only if > 0), refunded when it fails', async () => {
    await seedAccount(fx.redis, 'acct_2');
    await linkStripeCustomer(fx.redis, 'acct_2', 'cus_Two');
    await seedQueuedJob(fx.redis, { jobId: 'gen_leader', unitsReserved: 10, fingerprint: 'fp_billing' });
    await seedFollower(fx.redis, {
      jobId: 'gen_paid_follower',
      leaderId: 'gen_leader',
      accountId: 'acct_2',
      unitsReserved: 10,
      unitsCacheHit: 0.5,
    });
    await seedFollower(fx.redis, {
      jobId: 'gen_free_follower',
      leaderId: 'gen_leader',
      accountId: 'acct_2',
      unitsReserved: 10,
      unitsCacheHit: 0,
    });
    const leader = await lease('w');
    await completeJob(fx.redis, {
      jobId: 'gen_leader',
      leaseToken: leader.lease_token,
      outputs: PNG,
      inferenceMs: 3,
    });
    expect(await account('acct_2')).toMatchObject({
      credits: String(SEED_ACCOUNT_CREDITS - 0.5),
      reserved: '0',
    });
    expect((await outboxJobs()).sort()).toEqual(['gen_leader', 'gen_paid_follower']);
    expect(await readHash(fx.redis, keys.usageDay('acct_2', today()))).toEqual({
      'demo-shapes:units': '0.5',
      'demo-shapes:jobs': '2',
    });
    expect(await flush()).toMatchObject({ sent: 2 });
    expect(recorder.accepted.map((e) => [e.identifier, e.customer, e.value]).sort()).toEqual([
      ['gen_leader', 'cus_One', '10'],
      ['gen_paid_follower', 'cus_Two', '0.5'],
    ]);

    await seedQueuedJob(fx.redis, { jobId: 'gen_leader2', unitsReserved: 10, fingerprint: 'fp_billing2' });
    await seedFollower(fx.redis, {
      jobId: 'gen_f3',
      leaderId: 'gen_leader2',
      accountId: 'acct_2',
      unitsReserved: 10,
      unitsCacheHit: 0.5,
    });
    const leader2 = await lease('w');
    await failJob(fx.redis, {
      jobId: 'gen_leader2',
      leaseToken: leader2.lease_token,
      error: { code: 'x', message: 'y' },
      retryable: false,
    });
    expect(await account('acct_2')).toMatchObject({
      credits: String(SEED_ACCOUNT_CREDITS - 0.5),
      reserved: '0',
    });
    expect(await outboxJobs()).toEqual([]);
  });
});

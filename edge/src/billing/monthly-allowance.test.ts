import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../env';
import { accountView } from '../store/accounts/account-view';
import { keys } from '../store/keys';
import { cancelGeneration } from '../store/scripts/cancel-generation';
import { completeJob } from '../store/scripts/complete-job';
import { failJob } from '../store/scripts/fail-job';
import { leaseJobs } from '../store/scripts/lease-jobs';
import { settleFollower } from '../store/scripts/settle-follower';
import { type SubmitParams, submitGeneration } from '../store/scripts/submit-generation';
import { type ScriptRedisFixture, startScriptRedis } from '../store/scripts/test-support/script-redis';
import { readHash, readStream } from '../store/scripts/test-support/state-snapshot';

// The plan's monthly allowance (DESIGN decision 7, issue 7): spent before the prepaid balance,
// started over each calendar month, all inside the submit and settling scripts.
let fx: ScriptRedisFixture;
const ALLOWANCE = 10;
const config = parseConfig({
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
  UPSTASH_REDIS_REST_TOKEN: 't',
  ADMIN_TOKEN: 'a'.repeat(16),
  WORKER_TOKEN: 'w'.repeat(16),
  URL_SIGNING_SECRET: 's'.repeat(16),
  PLAN_LIMITS_JSON: JSON.stringify({ pro: { monthly_allowance: ALLOWANCE } }),
});
const DAY = new Date().toISOString().slice(0, 10);
const MONTH = DAY.slice(0, 7);

beforeAll(async () => {
  fx = await startScriptRedis();
});
afterAll(() => fx?.stop());
beforeEach(async () => {
  await fx.redis.flushall();
  await fx.redis.hset(keys.account('acct_p'), {
    id: 'acct_p',
    plan: 'pro',
    credits: 5,
    reserved: 0,
    created_at: 0,
  });
});

let n = 0;
const submit = (over: Partial<SubmitParams> = {}) => {
  const jobId = over.jobId ?? `gen_${++n}`;
  const fingerprint = over.fingerprint ?? '';
  return submitGeneration(fx.redis, {
    accountId: 'acct_p',
    jobId,
    model: 'demo-shapes',
    fields: {
      account_id: 'acct_p',
      model: 'demo-shapes',
      input: '{}',
      request: '{}',
      fingerprint,
      units_cache_hit: '1',
    },
    units: 4,
    cacheHitUnits: 1,
    concurrencyLimit: 100,
    retentionSeconds: 3600,
    fingerprint,
    day: DAY,
    monthlyAllowance: ALLOWANCE,
    ...over,
  });
};
const view = async () => accountView(await readHash(fx.redis, keys.account('acct_p')), config);
const raw = () => readHash(fx.redis, keys.account('acct_p'));
const PNG = [{ key: 'outputs/acct_p/x/0.png', content_type: 'image/png', width: 64, height: 64, seed: 1 }];
async function runAll() {
  for (;;) {
    const { jobs } = await leaseJobs(fx.redis, {
      workerId: 'w',
      models: ['demo-shapes'],
      maxJobs: 10,
      leaseTtlMs: 60_000,
    });
    if (jobs.length === 0) return;
    for (const j of jobs)
      await completeJob(fx.redis, {
        jobId: j.job_id,
        leaseToken: j.lease_token,
        outputs: PNG,
        inferenceMs: 1,
      });
  }
}

describe('monthly allowance', () => {
  it('is spent before the prepaid balance; holds can use allowance + credits and no more', async () => {
    expect(await view()).toMatchObject({ monthly_allowance: 10, allowance_remaining: 10, credits: 5 });
    for (let i = 0; i < 3; i++) expect((await submit()).outcome).toBe('created');
    // 12 units held: 10 on the allowance, 2 on the prepaid balance.
    expect(await view()).toMatchObject({ credits: 3, reserved: 12, allowance_remaining: 0 });
    expect(await submit()).toEqual({ outcome: 'insufficient_credits', available: 3, needed: 4 });
    await runAll();
    expect(await raw()).toMatchObject({
      allowance_left: '0',
      credits: '3',
      reserved: '0',
      allowance_month: MONTH,
    });
    expect(await view()).toMatchObject({ credits: 3, reserved: 0, allowance_remaining: 0 });
    // Metering still reports every unit charged; the allowance is a matter between plan and account.
    expect((await readStream(fx.redis, keys.usageOutbox())).map((e) => e.units)).toEqual(['4', '4', '4']);
  });

  it('a failed or canceled job gives its units back where they came from', async () => {
    await submit({ jobId: 'gen_fail' });
    await submit({ jobId: 'gen_cancel' });
    expect(await view()).toMatchObject({ credits: 5, allowance_remaining: 2 });
    expect((await cancelGeneration(fx.redis, 'acct_p', 'gen_cancel')).outcome).toBe('canceled');
    const [lease] = (
      await leaseJobs(fx.redis, { workerId: 'w', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: 60_000 })
    ).jobs;
    await failJob(fx.redis, {
      jobId: 'gen_fail',
      leaseToken: lease.lease_token,
      error: { code: 'x', message: 'y' },
      retryable: false,
    });
    expect(await view()).toMatchObject({ credits: 5, reserved: 0, allowance_remaining: 10 });
    expect(await raw()).toMatchObject({ credits: '5', allowance_left: '10' });
  });

  it('starts over when the calendar month changes, whatever was left or held', async () => {
    await submit();
    await runAll();
    expect(await raw()).toMatchObject({ allowance_left: '6' });
    // Last month, as a record written then would read.
    await fx.redis.hset(keys.account('acct_p'), { allowance_month: '2000-01', allowance_left: 1 });
    expect(await view()).toMatchObject({ allowance_remaining: 10 });
    await submit();
    expect(await raw()).toMatchObject({ allowance_month: MONTH, allowance_left: '10' });
  });

  it('follows a plan change at once, by the difference', async () => {
    await submit();
    await runAll();
    expect(await raw()).toMatchObject({ allowance_left: '6', allowance_granted: '10' });
    await submit({ monthlyAllowance: 25 });
    expect(await raw()).toMatchObject({ allowance_left: '21', allowance_granted: '25' });
    await submit({ monthlyAllowance: 0 });
    expect(await raw()).toMatchObject({ allowance_left: '0', allowance_granted: '0' });
  });

  it('cache answers and coalesced followers are paid from the allowance first too', async () => {
    await submit({ jobId: 'gen_leader', fingerprint: 'fp_a' });
    const follower = await submit({ jobId: 'gen_follower', fingerprint: 'fp_a' });
    expect(follower.outcome).toBe('coalesced');
    // Out of the leader's list, so the leader's end does not settle it: the read path
    // (settle-follower.lua) does, as it does for a follower read before the eager settlement.
    await fx.redis.lrem(keys.jobFollowers('gen_leader'), 0, 'gen_follower');
    await runAll();
    expect((await settleFollower(fx.redis, 'gen_follower', DAY)).outcome).toBe('succeeded');
    const cached = await submit({ jobId: 'gen_cached', fingerprint: 'fp_a' });
    expect(cached.outcome).toBe('cached');
    // 4 (leader) + 1 (follower at the cache price) + 1 (cache answer) from the allowance of 10.
    expect(await raw()).toMatchObject({ allowance_left: '4', credits: '5', reserved: '0' });
  });
});

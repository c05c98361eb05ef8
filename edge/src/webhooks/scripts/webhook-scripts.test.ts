/// <reference types="node" />
import { describe, expect, it } from 'vitest';
import { keys } from '../../store/keys';
import { cancelGeneration } from '../../store/scripts/cancel-generation';
import { completeJob } from '../../store/scripts/complete-job';
import { failJob } from '../../store/scripts/fail-job';
import { leaseJobs } from '../../store/scripts/lease-jobs';
import { releaseJob } from '../../store/scripts/release-job';
import { useScriptRedis } from '../../store/scripts/test-support/script-redis';
import { seedFollower, seedQueuedJob } from '../../store/scripts/test-support/seed-job';
import { readHash } from '../../store/scripts/test-support/state-snapshot';
import { claimWebhooks } from './claim-webhooks';
import { recordWebhookAttempt } from './record-webhook-attempt';
import { rotateWebhookSecret } from './rotate-webhook-secret';

const fx = useScriptRedis();

const HOOK = 'http://127.0.0.1:9/hook';
let seq = 0;
async function queuedJobWithWebhook(filter?: string[]) {
  const jobId = `gen_wh${++seq}`;
  await seedQueuedJob(fx.redis, { jobId });
  await fx.redis.hset(keys.job(jobId), {
    request: JSON.stringify({ webhook: HOOK, ...(filter ? { webhook_events_filter: filter } : {}) }),
  });
  return jobId;
}

const lease = () =>
  leaseJobs(fx.redis, { workerId: 'w1', models: ['demo-shapes'], maxJobs: 1, leaseTtlMs: 60_000 });
const claim = (token: string, now?: number, mode: 'due' | 'fresh' = 'due') =>
  claimWebhooks(fx.redis, { now, mode, limit: 10, holdMs: 60_000, token });
const deliveryIds = async (jobId: string) =>
  (await fx.redis.lrange(keys.jobWebhooks(jobId), 0, -1)).map(String);
const entry = (attempt: number, at: number, next: number | null) => ({
  attempt,
  at,
  status_code: next === null ? 200 : 500,
  latency_ms: 3,
  error: next === null ? null : 'HTTP 500',
  next_retry_at: next,
});

describe('webhook events recorded by the transition scripts', () => {
  it('lease records start (first attempt only), complete records completed, with a stable webhook-id', async () => {
    const jobId = await queuedJobWithWebhook();
    const granted = await lease();
    expect(granted.jobs[0].job_id).toBe(jobId);
    expect(await deliveryIds(jobId)).toEqual([`${jobId}:start`]);
    const start = await readHash(fx.redis, keys.webhookDelivery(`${jobId}:start`));
    expect(start).toMatchObject({
      job_id: jobId,
      event: 'start',
      url: HOOK,
      state: 'pending',
      attempts: '0',
    });
    expect(start.webhook_id).toBe(`msg_${jobId}_start`);
    expect(await fx.redis.zscore(keys.webhooksDue(), `${jobId}:start`)).not.toBeNull();

    // Released (drain) and leased again: still one start.
    await releaseJob(fx.redis, { jobId, leaseToken: granted.jobs[0].lease_token });
    const again = await lease();
    const done = await completeJob(fx.redis, {
      jobId,
      leaseToken: again.jobs[0].lease_token,
      outputs: [{ key: 'k', content_type: 'image/png', width: 64, height: 64, seed: 1 }],
      inferenceMs: 5,
    });
    expect(done.outcome).toBe('ok');
    expect(await deliveryIds(jobId)).toEqual([`${jobId}:start`, `${jobId}:completed`]);
  });

  it('a retried job (worker error, attempts left) records no second start; the final failure records completed', async () => {
    const jobId = await queuedJobWithWebhook();
    let granted = await lease();
    await failJob(fx.redis, {
      jobId,
      leaseToken: granted.jobs[0].lease_token,
      error: { code: 'x', message: 'y' },
      retryable: true,
    });
    expect(await deliveryIds(jobId)).toEqual([`${jobId}:start`]);
    granted = await lease();
    await failJob(fx.redis, {
      jobId,
      leaseToken: granted.jobs[0].lease_token,
      error: { code: 'x', message: 'y' },
      retryable: false,
    });
    expect(await deliveryIds(jobId)).toEqual([`${jobId}:start`, `${jobId}:completed`]);
  });

  it('honours the events filter and records nothing without a webhook', async () => {
    const onlyCompleted = await queuedJobWithWebhook(['completed']);
    const noHook = `gen_nohook${++seq}`;
    await seedQueuedJob(fx.redis, { jobId: noHook });
    await lease();
    await lease();
    expect(await deliveryIds(onlyCompleted)).toEqual([]);
    expect(await deliveryIds(noHook)).toEqual([]);
    await cancelGeneration(fx.redis, 'acct_1', onlyCompleted); // running: cancel requested, no event yet
    expect(await deliveryIds(onlyCompleted)).toEqual([]);
  });

  it('cancel of a queued job records completed at once', async () => {
    const jobId = await queuedJobWithWebhook();
    const result = await cancelGeneration(fx.redis, 'acct_1', jobId);
    expect(result.outcome).toBe('canceled');
    expect(await deliveryIds(jobId)).toEqual([`${jobId}:completed`]);
  });

  it("coalesced followers get start with the leader's lease and completed with its completion", async () => {
    const leader = await queuedJobWithWebhook();
    const follower = `gen_follow${++seq}`;
    await seedFollower(fx.redis, { jobId: follower, leaderId: leader });
    await fx.redis.hset(keys.job(follower), { request: JSON.stringify({ webhook: `${HOOK}/f` }) });
    const granted = await lease();
    expect(await deliveryIds(follower)).toEqual([`${follower}:start`]);
    await completeJob(fx.redis, {
      jobId: leader,
      leaseToken: granted.jobs[0].lease_token,
      outputs: [{ key: 'k', content_type: 'image/png', width: 64, height: 64, seed: 1 }],
      inferenceMs: 5,
    });
    expect(await deliveryIds(follower)).toEqual([`${follower}:start`, `${follower}:completed`]);
    expect((await readHash(fx.redis, keys.webhookDelivery(`${follower}:completed`))).url).toBe(`${HOOK}/f`);
  });
});

describe('claim and record', () => {
  async function startedAndCompleted() {
    const jobId = await queuedJobWithWebhook();
    const granted = await lease();
    await completeJob(fx.redis, {
      jobId,
      leaseToken: granted.jobs[0].lease_token,
      outputs: [{ key: 'k', content_type: 'image/png', width: 64, height: 64, seed: 1 }],
      inferenceMs: 5,
    });
    return jobId;
  }

  it('two claims at once never take the same delivery, and completed waits for start', async () => {
    const jobId = await startedAndCompleted();
    const [a, b] = await Promise.all([claim('t_a'), claim('t_b')]);
    const all = [...a.deliveries, ...b.deliveries];
    expect(all.map((d) => d.id)).toEqual([`${jobId}:start`]);
    expect(all[0]).toMatchObject({ event: 'start', attempt: 1, webhook_id: `msg_${jobId}_start` });
    // While the start is in flight (its hold), completed stays behind it, whatever its own due time.
    expect((await claim('t_c', a.now + 30_000)).deliveries.map((d) => d.id)).toEqual([]);
  });

  it('a failed start retries later with the same webhook-id; once delivered, completed is due at once', async () => {
    const jobId = await startedAndCompleted();
    const first = await claim('t1');
    const t0 = first.now;
    expect(
      await recordWebhookAttempt(fx.redis, {
        deliveryId: `${jobId}:start`,
        token: 't1',
        outcome: 'retry',
        entry: entry(1, t0, t0 + 5_000),
      }),
    ).toBe(true);
    expect((await claim('t2', t0 + 4_000)).deliveries).toEqual([]);
    // fresh mode never sends a retry, however late
    expect((await claim('t2', t0 + 60_000, 'fresh')).deliveries).toEqual([]);
    const second = await claim('t3', t0 + 5_000);
    expect(second.deliveries.map((d) => [d.id, d.attempt, d.webhook_id])).toEqual([
      [`${jobId}:start`, 2, `msg_${jobId}_start`],
    ]);
    // A sender whose claim was taken over cannot record.
    expect(
      await recordWebhookAttempt(fx.redis, {
        deliveryId: `${jobId}:start`,
        token: 't1',
        outcome: 'delivered',
        entry: entry(2, t0 + 5_000, null),
      }),
    ).toBe(false);
    expect(
      await recordWebhookAttempt(fx.redis, {
        deliveryId: `${jobId}:start`,
        token: 't3',
        outcome: 'delivered',
        entry: entry(2, t0 + 5_000, null),
      }),
    ).toBe(true);
    const third = await claim('t4', t0 + 5_000);
    expect(third.deliveries.map((d) => [d.id, d.attempt])).toEqual([[`${jobId}:completed`, 1]]);

    const start = await readHash(fx.redis, keys.webhookDelivery(`${jobId}:start`));
    expect(start).toMatchObject({ state: 'delivered', attempts: '2', last_status: '200' });
    const log = (await fx.redis.lrange(keys.webhookLog(`${jobId}:start`), 0, -1)).map((l) =>
      typeof l === 'string' ? JSON.parse(l) : l,
    );
    expect(log.map((l) => [l.attempt, l.status_code, l.next_retry_at])).toEqual([
      [1, 500, t0 + 5_000],
      [2, 200, null],
    ]);
    expect(await fx.redis.zscore(keys.webhooksDue(), `${jobId}:start`)).toBeNull();
  });

  it('a claim whose sender died is due again when its hold ends', async () => {
    const jobId = await queuedJobWithWebhook();
    await lease();
    const first = await claim('t1');
    expect(first.deliveries).toHaveLength(1);
    expect((await claim('t2', first.now + 59_000)).deliveries).toEqual([]);
    expect((await claim('t2', first.now + 60_001)).deliveries.map((d) => [d.id, d.attempt])).toEqual([
      [`${jobId}:start`, 1],
    ]);
  });
});

describe('rotate-webhook-secret', () => {
  it('keeps the previous secret signing for the overlap and refuses an unknown account', async () => {
    expect(
      await rotateWebhookSecret(fx.redis, {
        accountId: 'acct_none',
        secret: 'whsec_x',
        now: 0,
        overlapMs: 10,
      }),
    ).toBeNull();
    expect(
      await rotateWebhookSecret(fx.redis, {
        accountId: 'acct_1',
        secret: 'whsec_a',
        now: 1_000,
        overlapMs: 10,
      }),
    ).toEqual({ secret: 'whsec_a', previousUntil: null });
    expect(
      await rotateWebhookSecret(fx.redis, {
        accountId: 'acct_1',
        secret: 'whsec_b',
        now: 2_000,
        overlapMs: 10,
      }),
    ).toEqual({ secret: 'whsec_b', previousUntil: 2_010 });
    expect(await readHash(fx.redis, keys.account('acct_1'))).toMatchObject({
      webhook_secret: 'whsec_b',
      webhook_secret_prev: 'whsec_a',
      webhook_secret_prev_until: '2010',
    });
  });
});

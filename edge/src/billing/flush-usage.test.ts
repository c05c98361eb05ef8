import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../env';
import { keys } from '../store/keys';
import { type ScriptRedisFixture, startScriptRedis } from '../store/scripts/test-support/script-redis';
import { seedAccount } from '../store/scripts/test-support/seed-job';
import { readStream, sleep } from '../store/scripts/test-support/state-snapshot';
import { type FlushUsageOptions, flushUsage } from './flush-usage';
import { beginFlush } from './scripts/flush-lock';
import { claimUsageEvents, replayHeldUsage } from './scripts/outbox-scripts';
import { linkStripeCustomer } from './scripts/stripe-link-scripts';
import { stripeClient } from './stripe-client';
import { settleJobs } from './test-support/settle-jobs';
import { type StripeRecorder, startStripeRecorder } from './test-support/stripe-recorder';

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
  await recorder.up();
  recorder.accepted.length = 0;
  recorder.duplicatesRefused.length = 0;
  recorder.unknownCustomers.clear();
  recorder.mode = 'ok';
  // A fresh config object is a fresh client (clients are cached per config).
  stripeConfig = {
    secretKey: 'sk_test_recorder',
    webhookSecret: '',
    apiBase: recorder.url,
    meterEventName: 'ldm_units',
    timeoutMs: 2_000,
    retryBaseMs: 100,
    retryMaxMs: 1_000,
  };
  await seedAccount(fx.redis, 'acct_a');
  await linkStripeCustomer(fx.redis, 'acct_a', 'cus_A');
});

const flush = (options: FlushUsageOptions = {}) =>
  flushUsage({ redis: fx.redis, stripe: stripeClient(stripeConfig), stripeConfig }, options);
const outboxLength = () => fx.redis.xlen(keys.usageOutbox());
const unitsOf = (i: number) => 1 + i / 8;

describe('usage meter flush', () => {
  it('N settled jobs become exactly N meter events with the job id, units, customer and time', async () => {
    const before = Math.floor(Date.now() / 1000);
    const ids = await settleJobs(fx.redis, {
      count: 25,
      accountId: 'acct_a',
      prefix: 'gen_n',
      units: unitsOf,
    });
    const report = await flush({ batchSize: 10 });
    expect(report).toMatchObject({
      outcome: 'flushed',
      sent: 25,
      duplicates: 0,
      held: 0,
      unsent: 0,
      failures: 0,
    });
    expect(recorder.accepted.map((e) => e.identifier).sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries()) {
      const event = recorder.accepted.find((e) => e.identifier === id);
      expect(event).toMatchObject({ event_name: 'ldm_units', customer: 'cus_A', value: String(unitsOf(i)) });
      expect(event?.timestamp).toBeGreaterThanOrEqual(before);
      expect(event?.timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    }
    expect([...recorder.authorizations]).toEqual(['Bearer sk_test_recorder']);
    expect(await outboxLength()).toBe(0);
    // Nothing is left pending in the group either, and a second flush has nothing to send.
    expect(await flush()).toMatchObject({ outcome: 'flushed', sent: 0 });
    expect(recorder.accepted).toHaveLength(25);
  });

  it('Stripe down: nothing is acknowledged, the flush backs off, and every event arrives once after recovery', async () => {
    const ids = await settleJobs(fx.redis, {
      count: 20,
      accountId: 'acct_a',
      prefix: 'gen_d',
      units: unitsOf,
    });
    await recorder.down();
    const failed = await flush();
    expect(failed).toMatchObject({ outcome: 'failed', sent: 0, failures: 1 });
    expect(failed.error).toMatch(/StripeConnectionError/);
    expect(failed.unsent).toBeGreaterThan(0);
    expect(await outboxLength()).toBe(20);
    // Within the backoff an unforced flush does not even try.
    const requests = recorder.requests;
    expect(await flush()).toMatchObject({ outcome: 'backoff', failures: 1 });
    expect(recorder.requests).toBe(requests);

    // Still down at the next attempt: the backoff doubles.
    await sleep(150);
    expect(await flush()).toMatchObject({ outcome: 'failed', failures: 2 });

    // 5xx instead of a refused connection is retried the same way.
    await recorder.up();
    recorder.mode = 'fail';
    const fiveHundred = await flush({ force: true });
    expect(fiveHundred).toMatchObject({ outcome: 'failed', failures: 3 });
    expect(fiveHundred.error).toMatch(/500/);

    recorder.mode = 'ok';
    const recovered = await flush({ force: true, batchSize: 7 });
    expect(recovered).toMatchObject({ outcome: 'flushed', sent: 20, failures: 0, retry_at: null });
    expect(recovered.reclaimed).toBeGreaterThan(0);
    expect(recorder.accepted.map((e) => e.identifier).sort()).toEqual([...ids].sort());
    expect(recorder.duplicatesRefused).toEqual([]);
    expect(await outboxLength()).toBe(0);
  });

  it('an answer lost to a timeout is sent again and recognised as already billed, never twice', async () => {
    const ids = await settleJobs(fx.redis, {
      count: 6,
      accountId: 'acct_a',
      prefix: 'gen_s',
      units: unitsOf,
    });
    stripeConfig = { ...stripeConfig, timeoutMs: 200 };
    recorder.mode = 'slow';
    recorder.delayMs = 600;
    const slow = await flush({ concurrency: 6 });
    expect(slow.outcome).toBe('failed');
    // Stripe took them all, but the flush heard nothing back: they stay in the outbox.
    expect(recorder.accepted).toHaveLength(6);
    expect(await outboxLength()).toBe(6);

    recorder.mode = 'ok';
    const retried = await flush({ force: true });
    expect(retried).toMatchObject({ outcome: 'flushed', sent: 0, duplicates: 6, reclaimed: 6 });
    expect(recorder.accepted.map((e) => e.identifier).sort()).toEqual([...ids].sort());
    expect(recorder.duplicatesRefused.sort()).toEqual([...ids].sort());
    expect(await outboxLength()).toBe(0);
  });

  it('a flush that crashed mid-batch leaves its entries pending; the next flush reclaims and sends them', async () => {
    const ids = await settleJobs(fx.redis, {
      count: 5,
      accountId: 'acct_a',
      prefix: 'gen_c',
      units: unitsOf,
    });
    // The crashed flush: lock taken, entries delivered to the group's consumer, never acknowledged.
    await beginFlush(fx.redis, { token: 'crashed', lockMs: 300, force: false });
    expect(await claimUsageEvents(fx.redis, 'meter-flush', 100)).toHaveLength(5);
    expect(await flush()).toMatchObject({ outcome: 'busy', sent: 0 });
    await sleep(350);
    const report = await flush();
    expect(report).toMatchObject({ outcome: 'flushed', sent: 5, reclaimed: 5 });
    expect(recorder.accepted.map((e) => e.identifier).sort()).toEqual([...ids].sort());
  });

  it('a flush out of time budget or event quota leaves the rest pending without backing off', async () => {
    await settleJobs(fx.redis, { count: 9, accountId: 'acct_a', prefix: 'gen_q', units: unitsOf });
    // One call at a time, each slower than the whole budget: the first goes, the rest wait.
    recorder.mode = 'slow';
    recorder.delayMs = 1_200;
    expect(await flush({ budgetMs: 800, concurrency: 1 })).toMatchObject({
      outcome: 'flushed',
      sent: 1,
      unsent: 8,
      failures: 0,
      retry_at: null,
    });
    recorder.mode = 'ok';
    expect(await flush({ maxEvents: 4, batchSize: 3 })).toMatchObject({
      outcome: 'flushed',
      sent: 4,
      reclaimed: 4,
    });
    expect(await outboxLength()).toBe(4);
    expect(await flush()).toMatchObject({ outcome: 'flushed', sent: 4, reclaimed: 4 });
    expect(recorder.accepted).toHaveLength(9);
    expect(recorder.duplicatesRefused).toEqual([]);
  });

  it('two flushes at once: one runs, the other steps aside; every event once', async () => {
    await settleJobs(fx.redis, { count: 12, accountId: 'acct_a', prefix: 'gen_p', units: unitsOf });
    const reports = await Promise.all([flush(), flush()]);
    expect(reports.map((r) => r.outcome).sort()).toEqual(['busy', 'flushed']);
    expect(reports[0].sent + reports[1].sent).toBe(12);
    expect(new Set(recorder.accepted.map((e) => e.identifier)).size).toBe(12);
    expect(recorder.duplicatesRefused).toEqual([]);
  });

  it('events of an account with no Stripe customer are held with the reason, and replayed once it is linked', async () => {
    await seedAccount(fx.redis, 'acct_b');
    const bIds = await settleJobs(fx.redis, {
      count: 3,
      accountId: 'acct_b',
      prefix: 'gen_b',
      units: unitsOf,
    });
    const aIds = await settleJobs(fx.redis, {
      count: 2,
      accountId: 'acct_a',
      prefix: 'gen_a',
      units: unitsOf,
    });
    const report = await flush();
    expect(report).toMatchObject({ outcome: 'flushed', sent: 2, held: 3 });
    expect(recorder.accepted.map((e) => e.identifier).sort()).toEqual(aIds);
    const held = await readStream(fx.redis, keys.usageOutboxHeld());
    expect(held.map((e) => e.job).sort()).toEqual(bIds);
    expect(held.every((e) => e.reason === 'no_stripe_customer' && e.account === 'acct_b')).toBe(true);
    expect(await outboxLength()).toBe(0);

    await linkStripeCustomer(fx.redis, 'acct_b', 'cus_B');
    expect(await replayHeldUsage(fx.redis, { accountId: 'acct_b', limit: 100 })).toBe(3);
    expect(await fx.redis.xlen(keys.usageOutboxHeld())).toBe(0);
    expect(await flush()).toMatchObject({ sent: 3, held: 0 });
    const bEvents = recorder.accepted.filter((e) => e.customer === 'cus_B');
    expect(bEvents.map((e) => e.identifier).sort()).toEqual(bIds);
    expect(bEvents.map((e) => e.value).sort()).toEqual(['1', '1.125', '1.25']);
  });

  it('an event Stripe rejects for good is held with Stripe’s message and does not block the others', async () => {
    await seedAccount(fx.redis, 'acct_gone');
    await linkStripeCustomer(fx.redis, 'acct_gone', 'cus_deleted');
    recorder.unknownCustomers.add('cus_deleted');
    await settleJobs(fx.redis, { count: 2, accountId: 'acct_gone', prefix: 'gen_g', units: unitsOf });
    await settleJobs(fx.redis, { count: 3, accountId: 'acct_a', prefix: 'gen_k', units: unitsOf });
    const report = await flush();
    expect(report).toMatchObject({ outcome: 'flushed', sent: 3, held: 2, failures: 0 });
    const held = await readStream(fx.redis, keys.usageOutboxHeld());
    expect(held).toHaveLength(2);
    expect(held[0].reason).toMatch(/^stripe_rejected: StripeInvalidRequestError 400: No such customer/);
  });

  it('without STRIPE_SECRET_KEY nothing is sent and nothing leaves the outbox', async () => {
    await settleJobs(fx.redis, { count: 2, accountId: 'acct_a', prefix: 'gen_u', units: unitsOf });
    const report = await flushUsage({
      redis: fx.redis,
      stripe: stripeClient({ ...stripeConfig, secretKey: '' }),
      stripeConfig,
    });
    expect(report.outcome).toBe('not_configured');
    expect(await outboxLength()).toBe(2);
    expect(recorder.accepted).toHaveLength(0);
  });
});

import type { Account, Generation, GenerationList, Usage } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recorderEdgeVars,
  type StripeRecorder,
  startStripeRecorder,
} from '../src/billing/test-support/stripe-recorder';
import { CRON_TRIGGERS } from '../src/cron/cron-triggers';
import { WebhookReceiver } from '../src/webhooks/test-support/webhook-receiver';
import { completeWithPng, leaseOne } from './fake-worker';

// Test keys (DESIGN decision 4) through the whole edge in workerd: free generations (no credits
// held or spent, nothing in the usage outbox, no meter event at a local Stripe recorder), a daily
// quota the operator sets, `livemode: false` everywhere a generation is shown, and a result
// cache that test and live keys never share.

let stack: EdgeStack;
let recorder: StripeRecorder;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [recorder, receiver] = await Promise.all([startStripeRecorder(), WebhookReceiver.start()]);
  stack = await startEdgeStack({
    vars: {
      ...recorderEdgeVars(recorder),
    },
  });
});
afterAll(async () => {
  await Promise.all([stack?.stop(), recorder?.stop(), receiver?.stop()]);
});

const admin = (path: string, method = 'GET', body?: unknown) =>
  stack.fetch(path, {
    method,
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

interface Pair {
  live: TestAccount;
  test: TestAccount;
}

/** An account with a live key (createAccount) and a test key beside it, linked to a Stripe customer. */
async function accountWithBothKeys(name: string, credits = 1_000): Promise<Pair> {
  const live = await stack.createAccount({ name, credits, limits: { concurrent_jobs: 50 } });
  const res = await admin(`/admin/v1/accounts/${live.id}/keys`, 'POST', { mode: 'test' });
  expect(res.status).toBe(201);
  const { key, id } = (await res.json()) as { key: string; id: string };
  expect(key).toMatch(/^ldm_test_/);
  const customer = `cus_${name.replace(/[^A-Za-z0-9]/g, '')}`;
  expect((await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', { stripe_customer: customer })).status).toBe(
    200,
  );
  return { live, test: { id: live.id, apiKey: key, keyId: id, headers: { authorization: `Bearer ${key}` } } };
}

async function submit(who: TestAccount, body: object) {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...who.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a free square', ...body }),
  });
  return {
    res,
    body: (await res.json()) as Generation & { error?: { code: string; details?: unknown[] } },
  };
}

const get = async <T>(who: TestAccount, path: string) =>
  (await (await stack.fetch(path, { headers: who.headers })).json()) as T;

const accountOf = (who: TestAccount) => get<Account>(who, '/v1/account');

async function runQueuedJobs(): Promise<string[]> {
  const done: string[] = [];
  for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) {
    await completeWithPng(stack, job, 1);
    done.push(job.jobId);
  }
  return done;
}

/** XLEN of the usage outbox plus its held stream: every usage event the edge ever wrote for Stripe. */
const outboxEvents = async () =>
  Number(await stack.redis.xlen('outbox:usage')) + Number(await stack.redis.xlen('outbox:usage:held'));

describe('test keys are free', () => {
  it('a test generation holds, spends and meters nothing; a live one beside it does all three', async () => {
    const { live, test } = await accountWithBothKeys('free-and-paid');
    const before = await accountOf(live);
    const outboxBefore = await outboxEvents();

    const free = await submit(test, { num_outputs: 2, steps: 20 });
    expect(free.res.status).toBe(201);
    expect(free.body).toMatchObject({ status: 'queued', livemode: false, usage: { units: 0 } });
    // Queued: nothing held.
    expect(await accountOf(live)).toMatchObject({ credits: before.credits, reserved: 0 });

    const paid = await submit(live, { num_outputs: 2, steps: 20 });
    expect(paid.body).toMatchObject({ status: 'queued', livemode: true });
    expect(paid.body.usage.units).toBeGreaterThan(0);
    expect((await accountOf(live)).reserved).toBe(paid.body.usage.units);

    expect((await runQueuedJobs()).sort()).toEqual([free.body.id, paid.body.id].sort());
    const settled = await accountOf(live);
    expect(settled.reserved).toBe(0);
    expect(settled.credits).toBeCloseTo(before.credits - paid.body.usage.units, 6);
    expect(await get<Generation>(test, `/v1/generations/${free.body.id}`)).toMatchObject({
      status: 'succeeded',
      livemode: false,
      usage: { units: 0 },
    });

    // One usage event (the live job's), one meter event at Stripe, none for the test job.
    expect(await outboxEvents()).toBe(outboxBefore + 1);
    const flushed = await admin('/admin/v1/billing/flush', 'POST');
    expect(await flushed.json()).toMatchObject({ outcome: 'flushed', sent: 1 });
    const identifiers = recorder.accepted.map((e) => e.identifier);
    expect(identifiers).toContain(paid.body.id);
    expect(identifiers).not.toContain(free.body.id);
    // Nor does the test job show in the account's (billable) usage.
    const usage = await get<Usage>(live, '/v1/usage');
    expect(usage.total_jobs).toBe(1);
    expect(usage.total_units).toBeCloseTo(paid.body.usage.units, 6);
  });

  it('works on an account with no credits at all, where a live key gets 402', async () => {
    const { live, test } = await accountWithBothKeys('penniless', 0);
    expect((await submit(live, {})).res.status).toBe(402);
    const free = await submit(test, {});
    expect(free.res.status).toBe(201);
    expect(free.body.livemode).toBe(false);
    await runQueuedJobs();
    expect(await get<Generation>(test, `/v1/generations/${free.body.id}`)).toMatchObject({
      status: 'succeeded',
      usage: { units: 0 },
    });
    expect(await accountOf(live)).toMatchObject({ credits: 0, reserved: 0 });
  });

  it('cache answers and coalesced followers of test keys are free and unmetered too', async () => {
    const { live, test } = await accountWithBothKeys('free-cache');
    const outboxBefore = await outboxEvents();
    const request = { prompt: 'test cache', seed: 31 };
    const leader = await submit(test, request);
    const follower = await submit(test, request);
    expect(follower.body).toMatchObject({ livemode: false, usage: { units: 0 } });
    expect(await stack.redis.hget(`job:${follower.body.id}`, 'leader')).toBe(leader.body.id);
    expect(await runQueuedJobs()).toEqual([leader.body.id]);
    const hit = await submit(test, request);
    expect(hit.body).toMatchObject({
      status: 'succeeded',
      cached: true,
      livemode: false,
      usage: { units: 0 },
    });
    expect(await get<Generation>(test, `/v1/generations/${follower.body.id}`)).toMatchObject({
      status: 'succeeded',
      cached: true,
      livemode: false,
    });
    expect(await outboxEvents()).toBe(outboxBefore);
    expect(await accountOf(live)).toMatchObject({ credits: 1_000, reserved: 0 });
  });
});

describe('test and live keys never share the result cache', () => {
  it('a test key gets no live-cached outputs, and a live key gets no test-cached outputs', async () => {
    const { live, test } = await accountWithBothKeys('scopes');
    const paidRequest = { prompt: 'paid for once', seed: 77 };
    const paid = await submit(live, paidRequest);
    await runQueuedJobs();
    expect((await submit(live, paidRequest)).body.cached).toBe(true);
    const probe = await submit(test, paidRequest);
    expect(probe.body).toMatchObject({ status: 'queued', cached: false, livemode: false });
    expect(probe.body.id).not.toBe(paid.body.id);

    const freeRequest = { prompt: 'made for free', seed: 78 };
    await submit(test, freeRequest);
    await runQueuedJobs();
    expect((await submit(test, freeRequest)).body.cached).toBe(true);
    const liveCopy = await submit(live, freeRequest);
    expect(liveCopy.body).toMatchObject({ status: 'queued', cached: false, livemode: true });
    expect(liveCopy.body.usage.units).toBeGreaterThan(0);
    // Nor does a live request follow a test job in flight (or the reverse).
    const inFlight = { prompt: 'both at once', seed: 79 };
    const t = await submit(test, inFlight);
    const l = await submit(live, inFlight);
    expect(await stack.redis.hget(`job:${l.body.id}`, 'leader')).toBeNull();
    expect((await runQueuedJobs()).sort()).toEqual([liveCopy.body.id, t.body.id, l.body.id].sort());
  });
});

describe('the daily test quota', () => {
  it('defaults to 100, the operator sets it per account, and beyond it test keys get 429 test_quota_exceeded', async () => {
    const { live, test } = await accountWithBothKeys('quota');
    const other = await accountWithBothKeys('quota-neighbour');
    expect((await accountOf(live)).limits.test_generations_per_day).toBe(100);
    expect((await accountOf(live)).test_generations_today).toBe(0);

    const set = await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', {
      limits: { test_generations_per_day: 3 },
    });
    expect(set.status).toBe(200);
    expect(((await set.json()) as Account).limits.test_generations_per_day).toBe(3);

    for (let i = 0; i < 3; i++) expect((await submit(test, { prompt: `quota ${i}` })).res.status).toBe(201);
    const over = await submit(test, { prompt: 'one too many' });
    expect(over.res.status).toBe(429);
    expect(over.body.error?.code).toBe('test_quota_exceeded');
    const retryAfter = Number(over.res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect((await accountOf(live)).test_generations_today).toBe(3);
    // A refused request made nothing.
    const list = await get<GenerationList>(test, '/v1/generations?limit=100');
    expect(list.data).toHaveLength(3);

    // Live keys of the account and test keys of other accounts are not limited by it.
    expect((await submit(live, { prompt: 'live is not limited' })).res.status).toBe(201);
    expect((await submit(other.test, { prompt: 'my own quota' })).res.status).toBe(201);

    // Raised: the same day's count goes on; back to the plan's default with null.
    await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', { limits: { test_generations_per_day: 4 } });
    expect((await submit(test, { prompt: 'the fourth' })).res.status).toBe(201);
    expect((await submit(test, { prompt: 'the fifth' })).res.status).toBe(429);
    const reset = await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', {
      limits: { test_generations_per_day: null },
    });
    expect(((await reset.json()) as Account).limits.test_generations_per_day).toBe(100);
    expect((await submit(test, { prompt: 'the fifth, again' })).res.status).toBe(201);
    // 0 turns test keys off.
    await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', { limits: { test_generations_per_day: 0 } });
    expect((await submit(test, { prompt: 'off' })).body.error?.code).toBe('test_quota_exceeded');
    await runQueuedJobs();
  });

  it('holds under a burst: exactly the quota is created, an idempotent replay is not counted again', async () => {
    const { live, test } = await accountWithBothKeys('quota-burst');
    await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', { limits: { test_generations_per_day: 5 } });
    const replayed = { 'idempotency-key': 'burst-replay' };
    const once = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...test.headers, 'content-type': 'application/json', ...replayed },
      body: JSON.stringify({ prompt: 'replayed' }),
    });
    expect(once.status).toBe(201);
    const again = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: { ...test.headers, 'content-type': 'application/json', ...replayed },
      body: JSON.stringify({ prompt: 'replayed' }),
    });
    expect(again.status).toBe(200);
    expect((await accountOf(live)).test_generations_today).toBe(1);

    const burst = await Promise.all(
      Array.from({ length: 16 }, (_, i) => submit(test, { prompt: `burst ${i}` })),
    );
    const statuses = burst.map((r) => r.res.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12);
    expect(
      burst.filter((r) => r.res.status === 429).every((r) => r.body.error?.code === 'test_quota_exceeded'),
    ).toBe(true);
    expect((await accountOf(live)).test_generations_today).toBe(5);
    await runQueuedJobs();
  });

  it('refuses a quota outside 0..1000000, naming the field', async () => {
    const { live } = await accountWithBothKeys('quota-bounds');
    const res = await admin(`/admin/v1/accounts/${live.id}`, 'PATCH', {
      limits: { test_generations_per_day: -1 },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('limits.test_generations_per_day');
  });
});

describe('livemode on every view of a generation', () => {
  it('GET, list, events and webhook bodies say livemode false for test keys and true for live keys', async () => {
    const { live, test } = await accountWithBothKeys('livemode');
    const secret = ((await get<{ secret: string }>(live, '/v1/webhooks/secret')) as { secret: string })
      .secret;
    const free = await submit(test, {
      webhook: receiver.url('/test-key'),
      webhook_events_filter: ['completed'],
    });
    const paid = await submit(live, {
      webhook: receiver.url('/live-key'),
      webhook_events_filter: ['completed'],
    });
    await runQueuedJobs();
    // Webhooks of completions the worker scripts recorded go out with the cron.
    await (await stack.mf.getWorker()).scheduled({
      cron: CRON_TRIGGERS.webhookDelivery.cron,
      scheduledTime: new Date(),
    });
    const [testHook] = await receiver.waitFor('/test-key', 1);
    const [liveHook] = await receiver.waitFor('/live-key', 1);
    const verify = (body: string, headers: Record<string, string>) =>
      new Webhook(secret).verify(body, headers) as Generation;
    expect(verify(testHook.body, testHook.headers)).toMatchObject({ id: free.body.id, livemode: false });
    expect(verify(liveHook.body, liveHook.headers)).toMatchObject({ id: paid.body.id, livemode: true });

    for (const [who, id, livemode] of [
      [test, free.body.id, false],
      [live, paid.body.id, true],
    ] as const) {
      expect((await get<Generation>(who, `/v1/generations/${id}`)).livemode).toBe(livemode);
      const listed = (await get<GenerationList>(who, '/v1/generations?limit=10')).data.find(
        (g) => g.id === id,
      );
      expect(listed?.livemode).toBe(livemode);
      const events = await (
        await stack.fetch(`/v1/generations/${id}/events`, { headers: who.headers })
      ).text();
      const last = events
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .at(-1);
      expect(JSON.parse(last?.slice('data: '.length) ?? '{}')).toMatchObject({ id, livemode });
    }
  });
});

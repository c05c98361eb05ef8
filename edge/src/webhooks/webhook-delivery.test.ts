/// <reference types="node" />
import type { Generation, WebhookDeliveryList } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRON_TRIGGERS } from '../cron/cron-triggers';
import { submit, workerClient } from '../routes/worker/worker-test-client';
import { type ReceivedWebhook, WebhookReceiver } from './test-support/webhook-receiver';

// The whole path in workerd: events recorded by the scripts, first attempts sent from the request
// that caused them (waitUntil), retries by the cron, driven through Miniflare's scheduled() with
// a scheduledTime hours ahead. Every delivery the receiver gets is checked with standardwebhooks.

let stack: EdgeStack;
let account: TestAccount;
let worker: ReturnType<typeof workerClient>;
let receiver: WebhookReceiver;
let png: Uint8Array;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([startEdgeStack(), WebhookReceiver.start()]);
  account = await stack.createAccount({ credits: 100_000, limits: { concurrent_jobs: 50 } });
  worker = workerClient(stack);
  png = new Uint8Array(
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#0a7' } })
      .png()
      .toBuffer(),
  );
});
afterAll(async () => {
  await Promise.all([stack?.stop(), receiver?.stop()]);
});

async function secretOf(who: TestAccount): Promise<string> {
  const res = await stack.fetch('/v1/webhooks/secret', { headers: who.headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { secret: string }).secret;
}

/** Verifies with the library (throws when it does not verify) and returns the Generation in the body. */
function verified(delivery: ReceivedWebhook, secret: string): Generation {
  return new Webhook(secret).verify(delivery.body, delivery.headers) as Generation;
}

async function deliveryLog(id: string, who = account): Promise<WebhookDeliveryList> {
  const res = await stack.fetch(`/v1/generations/${id}/webhooks`, { headers: who.headers });
  expect(res.status).toBe(200);
  return (await res.json()) as WebhookDeliveryList;
}

/** Runs the cron as if it fired at `ms` (the scheduling clock), and waits for its work. */
async function cronAt(ms: number): Promise<void> {
  const runtime = await stack.mf.getWorker();
  await runtime.scheduled({ scheduledTime: new Date(ms), cron: CRON_TRIGGERS.webhookDelivery.cron });
}

/** The log once `event`'s latest attempt is recorded (a receiver sees a request before the edge records it). */
async function settledLog(
  id: string,
  event: 'start' | 'completed',
): Promise<WebhookDeliveryList['data'][number]> {
  for (let i = 0; ; i++) {
    const delivery = (await deliveryLog(id)).data.find((d) => d.event === event);
    const inFlight = receiver.received.filter(
      (r) => JSON.parse(r.body).id === id && r.headers['ldm-event'] === event,
    );
    if (delivery && delivery.attempts.length >= inFlight.length) return delivery;
    if (i > 200) throw new Error(`${id} ${event}: attempt not recorded`);
    await sleep(25);
  }
}

/** The next retry the log announces for `event`, then the cron at that time. */
async function cronAtNextRetry(id: string, event: 'start' | 'completed'): Promise<number> {
  const next = (await settledLog(id, event)).next_attempt_at;
  if (!next) throw new Error(`${id} ${event}: no retry scheduled`);
  const at = Date.parse(next);
  await cronAt(at);
  return at;
}

async function cancel(id: string) {
  const res = await stack.fetch(`/v1/generations/${id}/cancel`, { method: 'POST', headers: account.headers });
  expect(res.status).toBe(200);
}

async function leaseOne(expected: string) {
  const res = await worker.lease(['demo-shapes']);
  expect(res.body.jobs?.[0]?.job_id).toBe(expected);
  return res.body.jobs[0] as { job_id: string; lease_token: string };
}

async function complete(job: { job_id: string; lease_token: string }) {
  const put = await worker.call('PUT', `/jobs/${job.job_id}/outputs/0`, png, {
    'x-lease-token': job.lease_token,
    'content-type': 'image/png',
  });
  expect(put.status).toBe(200);
  const done = await worker.call('POST', `/jobs/${job.job_id}/complete`, {
    lease_token: job.lease_token,
    outputs: [{ index: 0, width: 64, height: 64, seed: 5, content_type: 'image/png' }],
    metrics: { inference_ms: 12 },
  });
  expect(done.status).toBe(200);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhooks end to end (edge in workerd, receiver on 127.0.0.1)', () => {
  it('submit -> lease -> complete: start then completed, signed, with a downloadable output URL', async () => {
    const secret = await secretOf(account);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await secretOf(account)).toBe(secret); // created once, then stable

    const generation = await submit(stack, account, { seed: 4242, webhook: receiver.url('/e2e') });
    const job = await leaseOne(generation.id);
    const [start] = await receiver.waitFor('/e2e', 1);
    expect(start.headers['ldm-event']).toBe('start');
    expect(verified(start, secret)).toMatchObject({ id: generation.id, status: 'running' });

    await complete(job);
    const [, completed] = await receiver.waitFor('/e2e', 2);
    const body = verified(completed, secret);
    expect(completed.headers['ldm-event']).toBe('completed');
    expect(body).toMatchObject({ id: generation.id, status: 'succeeded', cached: false });
    expect(start.headers['webhook-id']).not.toBe(completed.headers['webhook-id']);
    // The output URL is signed and expiring: no API key needed.
    const image = await fetch(body.outputs[0].url);
    expect(image.status).toBe(200);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);

    await settledLog(generation.id, 'completed');
    const log = await deliveryLog(generation.id);
    expect(log.data.map((d) => [d.event, d.status, d.attempts.length, d.attempts[0].status_code])).toEqual([
      ['start', 'delivered', 1, 200],
      ['completed', 'delivered', 1, 200],
    ]);
    expect(log.data[0].webhook_id).toBe(start.headers['webhook-id']);

    // Another account sees no such generation.
    const other = await stack.createAccount();
    const foreign = await stack.fetch(`/v1/generations/${generation.id}/webhooks`, {
      headers: other.headers,
    });
    expect(foreign.status).toBe(404);

    // The same seeded request again is a cache answer: completed only, at once.
    const cached = await submit(stack, account, { seed: 4242, webhook: receiver.url('/e2e-cached') });
    expect(cached.status).toBe('succeeded');
    const [hit] = await receiver.waitFor('/e2e-cached', 1);
    expect(hit.headers['ldm-event']).toBe('completed');
    expect(verified(hit, secret)).toMatchObject({ id: cached.id, status: 'succeeded', cached: true });
  });

  it('a receiver failing the first 2 attempts gets the event exactly once accepted, same webhook-id', async () => {
    const secret = await secretOf(account);
    receiver.on('/flaky', (n) => (n < 2 ? 500 : 204));
    const generation = await submit(stack, account, { webhook: receiver.url('/flaky') });
    await cancel(generation.id);
    await receiver.waitFor('/flaky', 1); // the first attempt, from the cancel request
    await cronAtNextRetry(generation.id, 'completed'); // ~5 s later
    await cronAtNextRetry(generation.id, 'completed'); // ~5 min later
    const got = await receiver.waitFor('/flaky', 3);
    expect(got.map((r) => r.answer)).toEqual([500, 500, 204]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of got) expect(verified(r, secret)).toMatchObject({ id: generation.id, status: 'canceled' });

    const [delivery] = (await deliveryLog(generation.id)).data;
    expect(delivery).toMatchObject({ event: 'completed', status: 'delivered', next_attempt_at: null });
    expect(delivery.attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 204, null],
    ]);
    expect(delivery.attempts[0].next_retry_at).not.toBeNull();
    // Nothing more, however late the cron runs.
    await cronAt(Date.now() + 3 * 24 * 3600_000);
    expect(receiver.at('/flaky')).toHaveLength(3);
  });

  it('two crons firing at once send a due retry once', async () => {
    receiver.on('/twin', (n) => (n === 0 ? 500 : 200));
    const generation = await submit(stack, account, { webhook: receiver.url('/twin') });
    await cancel(generation.id);
    await receiver.waitFor('/twin', 1);
    const next = Date.parse((await settledLog(generation.id, 'completed')).next_attempt_at as string);
    await Promise.all([cronAt(next), cronAt(next), cronAt(next + 1)]);
    await sleep(300);
    expect(receiver.at('/twin').map((r) => r.answer)).toEqual([500, 200]);
    expect((await deliveryLog(generation.id)).data[0].attempts).toHaveLength(2);
  });

  it('a receiver down for longer than several retry intervals gets the event once it is back', async () => {
    const secret = await secretOf(account);
    let down = true;
    receiver.on('/outage', () => (down ? 'drop' : 200));
    const generation = await submit(stack, account, { webhook: receiver.url('/outage') });
    await cancel(generation.id);
    await receiver.waitFor('/outage', 1);
    const first = Date.now();
    let at = first;
    for (let i = 0; i < 4; i++) at = await cronAtNextRetry(generation.id, 'completed'); // 5 s, 5 min, 30 min, 2 h
    expect(at - first).toBeGreaterThan(2 * 3600_000);
    expect(receiver.at('/outage').map((r) => r.answer)).toEqual(Array(5).fill('dropped'));
    const log = (await deliveryLog(generation.id)).data[0];
    expect(
      log.attempts.every((a) => a.status_code === null && a.error?.startsWith('connection failed')),
    ).toBe(true);

    down = false;
    await cronAtNextRetry(generation.id, 'completed'); // ~5 h after that
    const got = await receiver.waitFor('/outage', 6);
    expect(got[5].answer).toBe(200);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(verified(got[5], secret)).toMatchObject({ id: generation.id, status: 'canceled' });
    expect((await deliveryLog(generation.id)).data[0].status).toBe('delivered');
  });

  it('410 Gone stops the retries', async () => {
    receiver.on('/gone', () => 410);
    const generation = await submit(stack, account, { webhook: receiver.url('/gone') });
    await cancel(generation.id);
    await receiver.waitFor('/gone', 1);
    const delivery = await settledLog(generation.id, 'completed');
    expect(delivery).toMatchObject({ status: 'failed', next_attempt_at: null });
    expect(delivery.attempts[0].error).toMatch(/410 Gone/);
    await cronAt(Date.now() + 2 * 24 * 3600_000);
    expect(receiver.at('/gone')).toHaveLength(1);
  });

  it('Retry-After longer than the schedule is honoured', async () => {
    receiver.on('/busy', (n) => (n === 0 ? { status: 503, headers: { 'retry-after': '3600' } } : 200));
    const generation = await submit(stack, account, { webhook: receiver.url('/busy') });
    await cancel(generation.id);
    await receiver.waitFor('/busy', 1);
    const delivery = await settledLog(generation.id, 'completed');
    const wait = Date.parse(delivery.next_attempt_at as string) - Date.parse(delivery.attempts[0].at);
    expect(wait).toBeGreaterThanOrEqual(3600_000);
    await cronAt(Date.parse(delivery.attempts[0].at) + 600_000); // not yet due
    expect(receiver.at('/busy')).toHaveLength(1);
    await cronAtNextRetry(generation.id, 'completed');
    expect((await receiver.waitFor('/busy', 2))[1].answer).toBe(200);
  });

  it('an events filter of [completed] sends no start', async () => {
    const generation = await submit(stack, account, {
      webhook: receiver.url('/filtered'),
      webhook_events_filter: ['completed'],
    });
    const job = await leaseOne(generation.id);
    const failed = await worker.call('POST', `/jobs/${job.job_id}/fail`, {
      lease_token: job.lease_token,
      error: { code: 'model_error', message: 'the model broke' },
      retryable: false,
    });
    expect(failed.status).toBe(200);
    const [only] = await receiver.waitFor('/filtered', 1);
    await sleep(300);
    expect(receiver.at('/filtered')).toHaveLength(1);
    expect(only.headers['ldm-event']).toBe('completed');
    expect(verified(only, await secretOf(account))).toMatchObject({
      status: 'failed',
      error: { code: 'model_error' },
    });
    expect((await deliveryLog(generation.id)).data.map((d) => d.event)).toEqual(['completed']);
  });

  it('completed is held back while start is still failing, then sent right after it', async () => {
    let startFails = true;
    receiver.on('/order', (_, r) => (r.headers['ldm-event'] === 'start' && startFails ? 500 : 200));
    const generation = await submit(stack, account, { webhook: receiver.url('/order') });
    const job = await leaseOne(generation.id);
    await receiver.waitFor('/order', 1);
    await complete(job);
    await sleep(500); // the complete call's waitUntil ran and must have sent nothing
    expect(receiver.at('/order').map((r) => r.headers['ldm-event'])).toEqual(['start']);

    startFails = false;
    await cronAtNextRetry(generation.id, 'start');
    const got = await receiver.waitFor('/order', 3);
    expect(got.map((r) => [r.headers['ldm-event'], r.answer])).toEqual([
      ['start', 500],
      ['start', 200],
      ['completed', 200],
    ]);
  });

  it('rotation: both secrets sign for 24 h, then only the new one', async () => {
    const owner = await stack.createAccount({ credits: 10_000 });
    const before = await secretOf(owner);
    const rotated = await stack.fetch('/v1/webhooks/secret/rotate', {
      method: 'POST',
      headers: owner.headers,
    });
    expect(rotated.status).toBe(200);
    const { secret: after, previous_secret_expires_at } = (await rotated.json()) as {
      secret: string;
      previous_secret_expires_at: string;
    };
    expect(after).not.toBe(before);
    expect(Date.parse(previous_secret_expires_at) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(await secretOf(owner)).toBe(after);

    receiver.on('/rotation', (n) => (n === 1 ? 500 : 200));
    const send = async () => {
      const res = await stack.fetch('/v1/generations', {
        method: 'POST',
        headers: { ...owner.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x', webhook: receiver.url('/rotation') }),
      });
      const g = (await res.json()) as Generation;
      await stack.fetch(`/v1/generations/${g.id}/cancel`, { method: 'POST', headers: owner.headers });
      return g;
    };
    await send();
    const [during] = await receiver.waitFor('/rotation', 1);
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => verified(during, before)).not.toThrow();
    expect(() => verified(during, after)).not.toThrow();

    // A delivery whose retry runs after the overlap is signed by the new secret alone.
    const late = await send();
    await receiver.waitFor('/rotation', 2);
    let next: string | null = null;
    for (let i = 0; i < 200 && !next; i++) {
      const log = (await (
        await stack.fetch(`/v1/generations/${late.id}/webhooks`, { headers: owner.headers })
      ).json()) as WebhookDeliveryList;
      next = log.data[0]?.next_attempt_at ?? null;
      if (!next) await sleep(25);
    }
    const at = Math.max(Date.parse(next as string), Date.now() + 24.5 * 3600_000);
    await cronAt(at);
    const [, , retried] = await receiver.waitFor('/rotation', 3);
    expect(retried.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(() => verified(retried, after)).not.toThrow();
    expect(() => verified(retried, before)).toThrow();
  });
});

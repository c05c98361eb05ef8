import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeWithPng, leaseOne } from './fake-worker';

// Credits through the public API in workerd: the hold taken in the same EVAL as the enqueue,
// under a burst of concurrent submissions, and what comes back on cancel and failure.
let stack: EdgeStack;

beforeAll(async () => {
  // Only `pro` grants a monthly allowance here, so the other tests see plain prepaid credits.
  stack = await startEdgeStack({
    vars: { PLAN_LIMITS_JSON: JSON.stringify({ pro: { monthly_allowance: 5 } }) },
  });
});
afterAll(async () => {
  await stack?.stop();
});

// 64x64 px, 20 steps on demo-shapes: 1 + 10 * 0.004096 * 20 units.
const JOB_UNITS = 1.8192;

type ErrorBody = {
  error: { code: string; message: string; details: { field: string; message: string; limit?: number }[] };
};

async function submit(account: TestAccount, body: object = { prompt: 'a green triangle' }) {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Generation & Partial<ErrorBody> };
}

const balance = async (account: TestAccount) =>
  (await (await stack.fetch('/v1/account', { headers: account.headers })).json()) as {
    credits: number;
    reserved: number;
  };

describe('credits', () => {
  it('50 concurrent submissions against a balance for 10: exactly 10 accepted, 40 refused with the shortfall', async () => {
    // Enough for ten jobs and most of an eleventh, so float rounding cannot decide the outcome.
    const credits = 10 * JOB_UNITS + 0.9;
    const burst = await stack.createAccount({
      name: 'burst',
      credits,
      limits: { concurrent_jobs: 1000, requests_per_minute: 10_000 },
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => submit(burst, { prompt: `burst ${i}` })),
    );
    const accepted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const { body } of refused) {
      expect(body.error?.code).toBe('insufficient_credits');
      expect(body.error?.message).toMatch(/short by [\d.]+/);
      expect(body.error?.details[0]).toMatchObject({ field: 'credits', limit: JOB_UNITS });
    }
    const after = await balance(burst);
    expect(after.reserved).toBeCloseTo(10 * JOB_UNITS, 6);
    expect(after.credits).toBeCloseTo(0.9, 6);
    expect(after.credits).toBeGreaterThanOrEqual(0);
    // The 402 states the exact shortfall against what is left.
    const one = await submit(burst);
    expect(one.body.error?.details[0].message).toBe(
      `short by ${Math.round((JOB_UNITS - after.credits) * 1e6) / 1e6} units`,
    );

    // Settled to the actual units: the ten holds become charges, nothing more, nothing back.
    for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) await completeWithPng(stack, job);
    const settled = await balance(burst);
    expect(settled.reserved).toBeCloseTo(0, 6);
    expect(settled.credits).toBeCloseTo(0.9, 6);
  });

  it('cancel of a queued job and a worker failure both give the held units back', async () => {
    const acct = await stack.createAccount({
      name: 'refunds',
      credits: 100,
      limits: { concurrent_jobs: 10 },
    });
    const queued = await submit(acct, { prompt: 'cancel me', seed: 1 });
    expect(await balance(acct)).toMatchObject({ reserved: queued.body.usage.units });
    const cancel = await stack.fetch(`/v1/generations/${queued.body.id}/cancel`, {
      method: 'POST',
      headers: acct.headers,
    });
    expect(cancel.status).toBe(200);
    expect(await balance(acct)).toEqual(expect.objectContaining({ credits: 100, reserved: 0 }));

    const outboxBefore = await stack.redis.xlen('outbox:usage');
    const failing = await submit(acct, { prompt: 'fail me' });
    const lease = await leaseOne(stack);
    expect(lease?.jobId).toBe(failing.body.id);
    const res = await stack.fetch(`/worker/v1/jobs/${failing.body.id}/fail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.workerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        lease_token: lease?.leaseToken,
        error: { code: 'model_error', message: 'NaN latents' },
        retryable: false,
      }),
    });
    expect(res.status).toBe(200);
    const failed = (await (
      await stack.fetch(`/v1/generations/${failing.body.id}`, { headers: acct.headers })
    ).json()) as Generation;
    expect(failed).toMatchObject({ status: 'failed', usage: { units: 0 } });
    expect(await balance(acct)).toEqual(expect.objectContaining({ credits: 100, reserved: 0 }));
    expect(await stack.redis.xlen('outbox:usage')).toBe(outboxBefore);
  });

  it('a cache hit is charged its own price (default 0), shown in usage, and never metered when free', async () => {
    const acct = await stack.createAccount({ name: 'cache', credits: 50, limits: { concurrent_jobs: 10 } });
    const first = await submit(acct, { prompt: 'cached circle', seed: 77 });
    const job = await leaseOne(stack);
    expect(job?.jobId).toBe(first.body.id);
    if (job) await completeWithPng(stack, job);
    const after = await balance(acct);
    expect(after.credits).toBeCloseTo(50 - JOB_UNITS, 6);
    const outbox = await stack.redis.xlen('outbox:usage');
    const again = await submit(acct, { prompt: 'cached circle', seed: 77 });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ status: 'succeeded', cached: true, usage: { units: 0 } });
    expect((await balance(acct)).credits).toBeCloseTo(after.credits, 6);
    expect(await stack.redis.xlen('outbox:usage')).toBe(outbox);
  });

  it('the operator moves an account to a plan with a monthly allowance, which is spent before its credits', async () => {
    const acct = await stack.createAccount({ name: 'upgraded', credits: 2, limits: { concurrent_jobs: 10 } });
    const patch = await stack.fetch(`/admin/v1/accounts/${acct.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'pro' }),
    });
    expect(patch.status).toBe(200);
    const read = async () =>
      (await (await stack.fetch('/v1/account', { headers: acct.headers })).json()) as {
        plan: string;
        credits: number;
        reserved: number;
        monthly_allowance: number;
        allowance_remaining: number;
      };
    expect(await read()).toMatchObject({
      plan: 'pro',
      credits: 2,
      monthly_allowance: 5,
      allowance_remaining: 5,
    });
    // 5 + 2 units pay for three jobs (5.4576), not four.
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await submit(acct, { prompt: `allowance ${i}` }));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 402]);
    const held = await read();
    expect(held.allowance_remaining).toBeCloseTo(0, 6);
    expect(held.credits).toBeCloseTo(7 - 3 * JOB_UNITS, 6);
    for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) await completeWithPng(stack, job);
    const settled = await read();
    expect(settled).toMatchObject({ reserved: 0, allowance_remaining: 0 });
    expect(settled.credits).toBeCloseTo(7 - 3 * JOB_UNITS, 6);
  });

  it('without Stripe settings: flushes report not_configured and keep every event; the webhook is 503', async () => {
    const outbox = await stack.redis.xlen('outbox:usage');
    expect(outbox).toBeGreaterThan(0);
    const flush = await stack.fetch('/admin/v1/billing/flush', {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    expect(await flush.json()).toMatchObject({ outcome: 'not_configured', sent: 0 });
    expect(await stack.redis.xlen('outbox:usage')).toBe(outbox);
    const status = await stack.fetch('/admin/v1/billing', {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    expect(await status.json()).toMatchObject({ outbox, configured: false });
    const webhook = await stack.fetch('/stripe/webhook', {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=x' },
      body: '{}',
    });
    expect(webhook.status).toBe(503);
    const badReplay = await stack.fetch('/admin/v1/billing/held/replay', {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 0 }),
    });
    expect(badReplay.status).toBe(422);
    expect((await badReplay.json()) as object).toMatchObject({
      error: { details: [{ field: 'limit', limit: 1 }] },
    });
    expect((await stack.fetch('/admin/v1/billing')).status).toBe(401);
  });

  it('GET /v1/models shows each model’s price', async () => {
    const res = await stack.fetch('/v1/models');
    const { data } = (await res.json()) as { data: { name: string; price: object }[] };
    expect(data.find((m) => m.name === 'demo-shapes')?.price).toEqual({
      per_image: 1,
      per_megapixel_step: 10,
      cache_hit: 0,
    });
  });
});

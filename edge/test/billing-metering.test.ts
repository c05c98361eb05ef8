import type { Generation } from '@ldm/shared';
import { type EdgeStack, startEdgeStack, type TestAccount } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDER_METER_EVENT_NAME,
  RECORDER_SECRET_KEY,
  recorderEdgeVars,
  type StripeRecorder,
  startStripeRecorder,
} from '../src/billing/test-support/stripe-recorder';
import { CRON_TRIGGERS } from '../src/cron/cron-triggers';
import { completeWithPng, leaseOne } from './fake-worker';

// The whole metering path in workerd: jobs submitted over the API, settled by the worker-side
// scripts, the outbox flushed by the edge (on demand and by its cron) with the real `stripe` SDK
// to a local recorder standing in for Stripe.
let stack: EdgeStack;
let recorder: StripeRecorder;

beforeAll(async () => {
  recorder = await startStripeRecorder();
  stack = await startEdgeStack({
    vars: {
      ...recorderEdgeVars(recorder),
      // Long enough that a loaded machine's next request still lands inside the backoff (the
      // outage test reads it), short enough to wait out after recovery.
      BILLING_RETRY_BASE_MS: '1000',
      BILLING_RETRY_MAX_MS: '2000',
      // Short leases so a killed worker's job comes back within the test (the fake worker's own leases are 60 s).
      LEASE_TTL_MS: '2000',
    },
  });
});
afterAll(async () => {
  await Promise.all([stack?.stop(), recorder?.stop()]);
});

const admin = (path: string, method = 'GET', body?: unknown) =>
  stack.fetch(path, {
    method,
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function submit(account: TestAccount, body: object = { prompt: 'a blue square' }) {
  const res = await stack.fetch('/v1/generations', {
    method: 'POST',
    headers: { ...account.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Generation & { error?: { code: string } } };
}

/** Leases and completes every queued job (the GPU worker's part, through its scripts). */
async function runQueuedJobs(): Promise<number> {
  let done = 0;
  for (let job = await leaseOne(stack); job; job = await leaseOne(stack)) {
    await completeWithPng(stack, job);
    done++;
  }
  return done;
}

const generation = async (account: TestAccount, id: string) =>
  (await (await stack.fetch(`/v1/generations/${id}`, { headers: account.headers })).json()) as Generation;

describe('metering to Stripe through the edge', () => {
  let customerAccount: TestAccount;

  beforeAll(async () => {
    customerAccount = await stack.createAccount({ name: 'metered', limits: { concurrent_jobs: 100 } });
    const linked = await admin(`/admin/v1/accounts/${customerAccount.id}`, 'PATCH', {
      stripe_customer: 'cus_Metered1',
    });
    expect(linked.status).toBe(200);
  });

  it('N jobs -> exactly N meter events (on demand, then from the cron), identifier = generation id, value = its units', async () => {
    const sizes = [64, 128, 192, 64, 128, 256, 64, 96];
    const ids: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const { status, body } = await submit(customerAccount, {
        prompt: `job ${i}`,
        width: size,
        height: size,
        steps: 10 + i,
      });
      expect(status).toBe(201);
      ids.push(body.id);
    }
    expect(await runQueuedJobs()).toBe(sizes.length);

    // The first half by the operator's flush, the rest once more jobs settled, by the cron.
    const flushed = await admin('/admin/v1/billing/flush', 'POST');
    expect(flushed.status).toBe(200);
    expect(await flushed.json()).toMatchObject({ outcome: 'flushed', sent: sizes.length, held: 0 });

    const more = [];
    for (let i = 0; i < 3; i++)
      more.push((await submit(customerAccount, { prompt: `cron job ${i}` })).body.id);
    expect(await runQueuedJobs()).toBe(3);
    const worker = await stack.mf.getWorker();
    await worker.scheduled({ cron: CRON_TRIGGERS.usageMeterFlush.cron, scheduledTime: new Date() });
    for (let i = 0; i < 100 && recorder.accepted.length < sizes.length + 3; i++)
      await new Promise((r) => setTimeout(r, 50));

    const all = [...ids, ...more];
    expect(recorder.accepted.map((e) => e.identifier).sort()).toEqual([...all].sort());
    for (const id of all) {
      const g = await generation(customerAccount, id);
      const event = recorder.accepted.find((e) => e.identifier === id);
      expect(event).toMatchObject({ event_name: RECORDER_METER_EVENT_NAME, customer: 'cus_Metered1' });
      expect(Number(event?.value)).toBeCloseTo(g.usage.units, 6);
      expect(event?.timestamp).toBe(Math.floor(Date.parse(g.completed_at as string) / 1000));
    }
    const status = (await (await admin('/admin/v1/billing')).json()) as { outbox: number; held: number };
    expect(status).toMatchObject({ outbox: 0, held: 0, failures: 0, configured: true });
  });

  it('Stripe down for a while: unforced flushes back off, and after recovery every event arrives exactly once', async () => {
    const before = recorder.accepted.length;
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await submit(customerAccount, { prompt: `outage ${i}` })).body.id);
    expect(await runQueuedJobs()).toBe(6);
    await recorder.down();
    const failed = (await (await admin('/admin/v1/billing/flush', 'POST')).json()) as {
      outcome: string;
      failures: number;
    };
    expect(failed).toMatchObject({ outcome: 'failed', sent: 0 });
    const status = (await (await admin('/admin/v1/billing')).json()) as {
      outbox: number;
      last_error: string;
    };
    expect(status.outbox).toBe(6);
    expect(status.last_error).toMatch(/StripeConnectionError/);
    // The key never shows up in what the operator sees.
    expect(JSON.stringify(status)).not.toContain(RECORDER_SECRET_KEY);
    // While in backoff an unforced flush does not call Stripe.
    expect(await (await admin('/admin/v1/billing/flush', 'POST', { force: false })).json()).toMatchObject({
      outcome: 'backoff',
    });

    await recorder.up();
    await new Promise((r) => setTimeout(r, 2_100));
    const recovered = (await (
      await admin('/admin/v1/billing/flush', 'POST', { force: false })
    ).json()) as object;
    expect(recovered).toMatchObject({ outcome: 'flushed', sent: 6, failures: 0 });
    const fresh = recorder.accepted.slice(before).map((e) => e.identifier);
    expect(fresh.sort()).toEqual([...ids].sort());
    expect(recorder.duplicatesRefused).toEqual([]);
    expect(new Set(recorder.accepted.map((e) => e.identifier)).size).toBe(recorder.accepted.length);
  });

  it('Stripe slower than the timeout: the answers are lost, the retry finds them billed, none counted twice', async () => {
    const before = recorder.accepted.length;
    const repeatsBefore = recorder.duplicatesRefused.length;
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await submit(customerAccount, { prompt: `slow ${i}` })).body.id);
    expect(await runQueuedJobs()).toBe(4);
    recorder.mode = 'slow';
    recorder.delayMs = 1_500;
    const slow = (await (await admin('/admin/v1/billing/flush', 'POST')).json()) as {
      outcome: string;
      error: string;
    };
    expect(slow.outcome).toBe('failed');
    expect(slow.error).toMatch(/StripeConnectionError/);
    expect(recorder.accepted.length).toBeGreaterThan(before);
    recorder.mode = 'ok';
    const retried = (await (await admin('/admin/v1/billing/flush', 'POST')).json()) as {
      sent: number;
      duplicates: number;
    };
    expect(retried).toMatchObject({ outcome: 'flushed' });
    expect(retried.sent + retried.duplicates).toBe(4);
    // The stream (the default) takes the resent events and Stripe drops the repeats by identifier.
    expect(recorder.duplicatesRefused.length).toBeGreaterThan(repeatsBefore);
    expect(
      recorder.accepted
        .slice(before)
        .map((e) => e.identifier)
        .sort(),
    ).toEqual([...ids].sort());
    expect(new Set(recorder.accepted.map((e) => e.identifier)).size).toBe(recorder.accepted.length);
  });

  it('a worker killed mid-job: the cron reclaims the lease, another worker finishes, charged and billed once', async () => {
    const worker = { authorization: `Bearer ${stack.workerToken}`, 'content-type': 'application/json' };
    const lease = async (workerId: string) => {
      const res = await stack.fetch('/worker/v1/lease', {
        method: 'POST',
        headers: worker,
        body: JSON.stringify({ worker_id: workerId, models: ['demo-shapes'], max_jobs: 1, wait_ms: 0 }),
      });
      return ((await res.json()) as { jobs: { job_id: string; lease_token: string; attempt: number }[] })
        .jobs[0];
    };
    const account = async () =>
      (await (await stack.fetch('/v1/account', { headers: customerAccount.headers })).json()) as {
        credits: number;
        reserved: number;
      };
    const before = await account();
    const { body } = await submit(customerAccount, { prompt: 'the worker dies' });
    const doomed = await lease('doomed-worker');
    expect(doomed.job_id).toBe(body.id);
    // The worker is killed: no heartbeat. Once the lease ran out, the cron's reaper requeues the job.
    await new Promise((r) => setTimeout(r, 2_300));
    const edge = await stack.mf.getWorker();
    await edge.scheduled({ cron: CRON_TRIGGERS.leaseReaper.cron, scheduledTime: new Date() });
    const healthy = await lease('healthy-worker');
    expect(healthy).toMatchObject({ job_id: body.id, attempt: 2 });
    await completeWithPng(stack, {
      jobId: body.id,
      leaseToken: healthy.lease_token,
      accountId: customerAccount.id,
    });
    // The first worker, back from the dead, is fenced off.
    const late = await stack.fetch(`/worker/v1/jobs/${body.id}/heartbeat`, {
      method: 'POST',
      headers: worker,
      body: JSON.stringify({ lease_token: doomed.lease_token }),
    });
    expect(late.status).toBe(409);

    await edge.scheduled({ cron: CRON_TRIGGERS.usageMeterFlush.cron, scheduledTime: new Date() });
    for (let i = 0; i < 100 && !recorder.accepted.some((e) => e.identifier === body.id); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(recorder.accepted.filter((e) => e.identifier === body.id)).toEqual([
      expect.objectContaining({ customer: 'cus_Metered1', value: String(body.usage.units) }),
    ]);
    const after = await account();
    expect(after.credits).toBeCloseTo(before.credits - body.usage.units, 6);
    expect(after.reserved).toBeCloseTo(before.reserved, 6);
  });

  it('usage of an account with no Stripe customer is held with the reason, then replayed once linked', async () => {
    const loner = await stack.createAccount({ name: 'no customer yet' });
    const { body } = await submit(loner);
    await runQueuedJobs();
    expect(await (await admin('/admin/v1/billing/flush', 'POST')).json()).toMatchObject({ sent: 0, held: 1 });
    expect(await (await admin('/admin/v1/billing')).json()).toMatchObject({ outbox: 0, held: 1 });
    await admin(`/admin/v1/accounts/${loner.id}`, 'PATCH', { stripe_customer: 'cus_Loner' });
    expect(
      await (await admin('/admin/v1/billing/held/replay', 'POST', { account_id: loner.id })).json(),
    ).toEqual({
      replayed: 1,
      next_cursor: null,
    });
    expect(await (await admin('/admin/v1/billing/flush', 'POST')).json()).toMatchObject({ sent: 1, held: 0 });
    expect(recorder.accepted.find((e) => e.identifier === body.id)).toMatchObject({ customer: 'cus_Loner' });
  });
});

describe('usage ledger', () => {
  it('GET /v1/usage sums the settled jobs by day and by model', async () => {
    const acct = await stack.createAccount({ name: 'ledger', limits: { concurrent_jobs: 10 } });
    const units: number[] = [];
    for (let i = 0; i < 3; i++)
      units.push((await submit(acct, { prompt: `ledger ${i}`, steps: 10 * (i + 1) })).body.usage.units);
    // Queued and canceled work is not usage.
    const canceled = (await submit(acct, { prompt: 'never run' })).body.id;
    await runQueuedJobs().then(() => undefined);
    await stack.fetch(`/v1/generations/${canceled}/cancel`, { method: 'POST', headers: acct.headers });

    const today = new Date().toISOString().slice(0, 10);
    const res = await stack.fetch(`/v1/usage?from=${today}&to=${today}`, { headers: acct.headers });
    expect(res.status).toBe(200);
    const byDay = (await res.json()) as { total_units: number; total_jobs: number; rows: { key: string }[] };
    expect(byDay.total_jobs).toBeGreaterThanOrEqual(3);
    expect(byDay.rows.map((r) => r.key)).toEqual([today]);

    const byModel = (await (
      await stack.fetch('/v1/usage?group_by=model', { headers: acct.headers })
    ).json()) as {
      total_units: number;
      total_jobs: number;
      rows: { key: string; units: number; jobs: number }[];
      from: string;
      to: string;
    };
    expect(byModel.to).toBe(today);
    expect(byModel.rows).toEqual([
      { key: 'demo-shapes', units: byModel.total_units, jobs: byModel.total_jobs },
    ]);
    expect(byModel.total_units).toBeCloseTo(byDay.total_units, 6);
  });

  it('refuses bad periods naming the field and the limit', async () => {
    const acct = await stack.createAccount({ name: 'ledger bad input' });
    const cases: [string, string][] = [
      ['from=2026-13-01', 'from'],
      ['from=2026-03-02&to=2026-03-01', 'from'],
      ['from=2024-01-01&to=2026-01-01', 'to'],
      ['group_by=week', 'group_by'],
    ];
    for (const [query, field] of cases) {
      const res = await stack.fetch(`/v1/usage?${query}`, { headers: acct.headers });
      expect(res.status, query).toBe(422);
      const body = (await res.json()) as { error: { code: string; details: { field: string }[] } };
      expect(body.error.code).toBe('validation_error');
      expect(body.error.details[0].field, query).toBe(field);
    }
    expect((await stack.fetch('/v1/usage')).status).toBe(401);
  });
});

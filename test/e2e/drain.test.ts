import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, LONG_JOB, startE2eStack } from './support/e2e-stack';

// SIGTERM during a job: finished within the grace period, or released back to the queue; the
// worker exits 0 either way and nothing is lost.
let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '5000' } });
});
afterAll(async () => {
  await e2e?.stop();
});

describe('graceful drain', () => {
  it('finishes the job in hand when the grace period allows, then exits 0', async () => {
    const worker = e2e.startWorker('w-drain-finish', { env: { DRAIN_GRACE_MS: '60000' } });
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 20 });
    await worker.waitForLog((l) => l.msg === 'batch started' && (l.batch as string[]).includes(job.id));
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const done = await e2e.get(job.id);
    expect(done.status).toBe('succeeded');
    expect(worker.logs.filter((l) => l.msg === 'leased')).toHaveLength(1);
  });

  it('releases the job when the grace period runs out; another worker finishes it without spending an attempt', async () => {
    const worker = e2e.startWorker('w-drain-release', { env: { DRAIN_GRACE_MS: '300' } });
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 60 });
    await worker.waitForLog((l) => l.msg === 'batch started' && (l.batch as string[]).includes(job.id));
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(worker.logs.some((l) => l.msg === 'job released' && l.job_id === job.id)).toBe(true);
    const requeued = await e2e.get(job.id);
    expect(requeued.status).toBe('queued');
    expect(readdirSync(`${e2e.tmp}/spool-w-drain-release`)).toEqual([]);

    const next = e2e.startWorker('w-after');
    const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded' || g.status === 'failed', 90_000);
    expect(done.status).toBe('succeeded');
    const record = await e2e.jobRecord(job.id);
    expect(record.attempt).toBe('1');
    await next.waitForLog((l) => l.msg === 'job succeeded' && l.job_id === job.id, 10_000);
    next.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  });

  it('POST /drain (the preStop hook) answers once the job in hand is done, then the worker exits by itself', async () => {
    const worker = e2e.startWorker('w-prestop', { env: { DRAIN_GRACE_MS: '60000' } });
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 20 });
    await worker.waitForLog((l) => l.msg === 'batch started' && (l.batch as string[]).includes(job.id));
    const ops = await worker.opsUrl();
    // A GET no longer drains (a stray request must not park the pod): only the POST does.
    expect((await fetch(`${ops}/drain`)).status).toBe(405);
    // Loopback alone is not enough (a browser or sidecar proxy on the node): the hook sends the token.
    expect((await fetch(`${ops}/drain`, { method: 'POST' })).status).toBe(403);
    const drained = fetch(`${ops}/drain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e2e.stack.workerToken}` },
    });
    let ready = 200;
    for (let i = 0; i < 50 && ready === 200; i++) {
      ready = (await fetch(`${ops}/readyz`)).status;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready).toBe(503);
    expect((await drained).status).toBe(200);
    const drainedAt = Date.now();
    expect((await e2e.get(job.id)).status).toBe('succeeded');
    // Nothing left to wait for: the worker leaves without a SIGTERM (Kubernetes sends one anyway).
    expect((await worker.exited).code).toBe(0);
    expect(Date.now() - drainedAt).toBeLessThan(3_000);
  });
});

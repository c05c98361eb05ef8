import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, LONG_JOB, startE2eStack } from './support/e2e-stack';
import type { WorkerProcess } from './support/worker-process';

let e2e: E2eStack;
let worker: WorkerProcess;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '5000' } });
});
afterAll(async () => {
  await e2e?.stop();
});

describe('cancel while running', () => {
  it('stops the worker within one denoising step of it learning of the cancel', async () => {
    worker = e2e.startWorker('w-cancel', { env: { HEARTBEAT_INTERVAL_MS: '200' } });
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 150 });
    await e2e.waitFor(job.id, (g) => g.status === 'running' && (g.progress?.step ?? 0) >= 2, 30_000);
    const res = await e2e.cancel(job.id);
    expect(res.status).toBe(200);

    const stopped = await worker.waitForLog((l) => l.msg === 'job canceled' && l.job_id === job.id, 15_000);
    const learnedAt = stopped.canceled_at_step as number;
    const stoppedAfter = stopped.stopped_after_step as number;
    expect(stoppedAfter - learnedAt).toBeLessThanOrEqual(1);
    expect(stoppedAfter).toBeLessThan(150);
    const done = await e2e.waitFor(job.id, (g) => g.status === 'canceled', 10_000);
    expect(done.outputs).toEqual([]);

    // The worker is free again at once.
    const after = await e2e.submit({ width: 64, height: 64, steps: 2, seed: 3 });
    expect((await e2e.waitFor(after.id, (g) => g.status === 'succeeded', 30_000)).outputs).toHaveLength(1);
  });

  it('answers a cancel of one job of a batch at once while its batch mate runs on', async () => {
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    // Queued together while no worker runs, so one lease takes both into one batch.
    const doomed = await e2e.submit({ ...LONG_JOB, steps: 60, prompt: 'a red circle' });
    const kept = await e2e.submit({ ...LONG_JOB, steps: 60, prompt: 'a blue square' });
    worker = e2e.startWorker('w-cancel-batch', { env: { HEARTBEAT_INTERVAL_MS: '200' } });
    const batch = await worker.waitForLog((l) => l.msg === 'batch started', 60_000);
    expect(new Set(batch.batch as string[])).toEqual(new Set([doomed.id, kept.id]));
    await e2e.waitFor(doomed.id, (g) => (g.progress?.step ?? 0) >= 2, 30_000);
    expect((await e2e.cancel(doomed.id)).status).toBe(200);

    const canceled = await e2e.waitFor(doomed.id, (g) => g.status === 'canceled', 30_000);
    const finished = await e2e.waitFor(kept.id, (g) => g.status === 'succeeded', 90_000);
    // The canceled job ended while its batch mate was still being denoised (same host clock).
    const batchEnd = await worker.waitForLog((l) => l.msg === 'batch finished');
    expect(Date.parse(canceled.completed_at as string)).toBeLessThan(Date.parse(batchEnd.time as string));
    expect(canceled.outputs).toEqual([]);
    expect(finished.outputs).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, LONG_JOB, startE2eStack } from './support/e2e-stack';

let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '5000' } });
});
afterAll(async () => {
  await e2e?.stop();
});

describe('cancel while running', () => {
  it('stops the worker within one denoising step of it learning of the cancel', async () => {
    const worker = e2e.startWorker('w-cancel', { env: { HEARTBEAT_INTERVAL_MS: '200' } });
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
});

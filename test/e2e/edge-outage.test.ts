import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, LONG_JOB, startE2eStack } from './support/e2e-stack';

// The edge goes away while a worker completes a job: the result waits in the worker's spool and
// arrives once the edge is back (same port, same persisted state). The lease outlives the outage.
let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '45000' } });
});
afterAll(async () => {
  await e2e?.stop();
});

describe('edge outage', () => {
  it('delivers a result finished during a 20 s outage once the edge returns', async () => {
    const worker = e2e.startWorker('w-outage');
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 20 });
    await worker.waitForLog((l) => l.msg === 'batch started' && (l.batch as string[]).includes(job.id));
    const spool = `${e2e.tmp}/spool-w-outage`;
    await e2e.restartEdge(20_000, async () => {
      await worker.waitForLog((l) => l.msg === 'result spooled' && l.job_id === job.id, 30_000);
      // Finished while the edge is down: on disk, not yet accepted.
      expect(readdirSync(spool)).toHaveLength(1);
    });
    const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded', 60_000);
    expect(done.outputs).toHaveLength(1);
    expect((await e2e.download(done.outputs[0].url)).status).toBe(200);
    await worker.waitForLog((l) => l.msg === 'job succeeded' && l.job_id === job.id);
    expect(readdirSync(spool)).toEqual([]);
    // Drained out of the way: the next test's job must go to the worker it restarts.
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  });

  it('re-sends a spooled result after the worker itself restarted', async () => {
    const spoolDir = `${e2e.tmp}/spool-w-restart`;
    const worker = e2e.startWorker('w-restart', { spoolDir });
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 10 });
    await worker.waitForLog((l) => l.msg === 'batch started' && (l.batch as string[]).includes(job.id));
    await e2e.restartEdge(3_000, async () => {
      await worker.waitForLog((l) => l.msg === 'result spooled' && l.job_id === job.id, 30_000);
      worker.kill('SIGKILL');
      await worker.exited;
      expect(readdirSync(spoolDir)).toHaveLength(1);
    });
    const again = e2e.startWorker('w-restart-2', { spoolDir });
    await again.waitForLog(
      (l) => l.msg === 'spool: re-sending result from an earlier run' && l.job_id === job.id,
    );
    const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded', 60_000);
    expect(done.outputs).toHaveLength(1);
    const record = await e2e.jobRecord(job.id);
    expect(record.attempt).toBe('1');
  });
});

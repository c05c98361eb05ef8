import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, LONG_JOB, startE2eStack } from './support/e2e-stack';

// Fencing: a worker frozen past its lease (GC pause, network partition: here SIGSTOP) loses the
// job to another worker; when it wakes, the edge answers 409 lease_lost and it stops and discards.
// Only the live lease's outputs exist.
let e2e: E2eStack;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '3000' } });
});
afterAll(async () => {
  await e2e?.stop();
});

describe('a worker whose lease was lost', () => {
  it('stops and discards when it comes back; the new holder completes alone', async () => {
    const stale = e2e.startWorker('w-frozen');
    await stale.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const job = await e2e.submit({ ...LONG_JOB, steps: 30, num_outputs: 2 });
    await stale.waitForLog((l) => l.msg === 'batch started' && (l.batch as string[]).includes(job.id));
    stale.kill('SIGSTOP');

    const live = e2e.startWorker('w-live');
    const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded' || g.status === 'failed', 90_000);
    expect(done.status).toBe('succeeded');
    await live.waitForLog((l) => l.msg === 'job succeeded' && l.job_id === job.id, 10_000);
    const record = await e2e.jobRecord(job.id);
    expect(record.worker_id).toBe('w-live');

    stale.kill('SIGCONT');
    // Heartbeat or upload, whichever comes first, is refused: the job is stopped or its result dropped.
    const discarded = await stale.waitForLog(
      (l) =>
        l.job_id === job.id &&
        (l.msg === 'lease lost, stopping job' || l.msg === 'edge refused the result: lease no longer held'),
      30_000,
    );
    expect(discarded).toBeDefined();
    await stale.waitForLog(
      (l) =>
        (l.msg === 'job discarded: lease lost' || l.msg === 'result discarded: lease lost') &&
        l.job_id === job.id,
      30_000,
    );
    expect(stale.logs.some((l) => l.msg === 'job succeeded' && l.job_id === job.id)).toBe(false);

    // The outputs in R2 are the ones written under the live lease, and the job is unchanged.
    const bucket = await e2e.stack.mf.getR2Bucket('OUTPUTS');
    const listed = await bucket.list({
      prefix: `outputs/${e2e.account.id}/${job.id}/`,
      include: ['customMetadata'],
    });
    expect(listed.objects).toHaveLength(2);
    for (const object of listed.objects) expect(object.customMetadata?.lease_token).toBe(record.lease_token);
    expect(await e2e.jobRecord(job.id)).toMatchObject({
      status: 'succeeded',
      worker_id: 'w-live',
      attempt: '2',
    });
  });
});

import type { Redis } from '@upstash/redis';
import { completeJob } from '../../store/scripts/complete-job';
import { leaseJobs } from '../../store/scripts/lease-jobs';
import { seedQueuedJob } from '../../store/scripts/test-support/seed-job';

/**
 * Runs `count` jobs through the real worker-side scripts (queued -> leased -> completed), so the
 * outbox entries the flush reads are the ones complete-job.lua writes, not hand-made copies.
 * Job `i` reserves `units(i)`; returns the job ids in order.
 */
export async function settleJobs(
  redis: Redis,
  options: { count: number; accountId: string; prefix: string; units: (i: number) => number },
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const jobId = `${options.prefix}${i}`;
    ids.push(jobId);
    await seedQueuedJob(redis, { jobId, accountId: options.accountId, unitsReserved: options.units(i) });
  }
  for (let done = 0; done < options.count; ) {
    const { jobs } = await leaseJobs(redis, {
      workerId: 'billing-test',
      models: ['demo-shapes'],
      maxJobs: 16,
      leaseTtlMs: 60_000,
    });
    if (jobs.length === 0) throw new Error(`only ${done} of ${options.count} jobs could be leased`);
    for (const job of jobs) {
      const outputs = [
        { key: `outputs/x/${job.job_id}/0.png`, content_type: 'image/png', width: 64, height: 64, seed: 1 },
      ];
      const result = await completeJob(redis, {
        jobId: job.job_id,
        leaseToken: job.lease_token,
        outputs,
        inferenceMs: 5,
      });
      if (result.outcome !== 'ok') throw new Error(`complete ${job.job_id}: ${result.outcome}`);
      done++;
    }
  }
  return ids;
}

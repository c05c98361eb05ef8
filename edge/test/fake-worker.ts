import type { EdgeStack } from '@ldm/test/support/edge-stack';
import { completeJob } from '../src/store/scripts/complete-job';
import { heartbeatJob } from '../src/store/scripts/heartbeat-job';
import { leaseJobs } from '../src/store/scripts/lease-jobs';

/** A real 1x1 PNG (magic number, IHDR, IDAT, IEND). */
export const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export interface LeasedJob {
  jobId: string;
  leaseToken: string;
  accountId: string;
}

/**
 * Plays the GPU worker's part through the worker-side Lua scripts themselves (the same ones the
 * /worker/v1 routes run), writing outputs to the edge's R2 bucket: lets the public API be tested
 * through whole job lifecycles without a model.
 */
export async function leaseOne(stack: EdgeStack, model = 'demo-shapes'): Promise<LeasedJob | null> {
  const leased = await leaseJobs(stack.redis, {
    workerId: 'test-worker',
    models: [model],
    maxJobs: 1,
    leaseTtlMs: 60_000,
  });
  const job = leased.jobs[0];
  return job ? { jobId: job.job_id, leaseToken: job.lease_token, accountId: job.account_id } : null;
}

export async function heartbeat(stack: EdgeStack, job: LeasedJob, step: number, total: number) {
  return heartbeatJob(stack.redis, {
    jobId: job.jobId,
    leaseToken: job.leaseToken,
    leaseTtlMs: 60_000,
    progress: { step, total },
  });
}

export async function completeWithPng(stack: EdgeStack, job: LeasedJob, outputs = 1): Promise<void> {
  const bucket = await stack.mf.getR2Bucket('OUTPUTS');
  const stored = [];
  for (let i = 0; i < outputs; i++) {
    const key = `outputs/${job.accountId}/${job.jobId}/${i}.png`;
    await bucket.put(key, new Uint8Array(PNG_1X1).buffer, { httpMetadata: { contentType: 'image/png' } });
    stored.push({ key, content_type: 'image/png', width: 64, height: 64, seed: 42 + i });
  }
  const result = await completeJob(stack.redis, {
    jobId: job.jobId,
    leaseToken: job.leaseToken,
    outputs: stored,
    inferenceMs: 123,
  });
  if (result.outcome !== 'ok') throw new Error(`complete refused: ${JSON.stringify(result)}`);
}

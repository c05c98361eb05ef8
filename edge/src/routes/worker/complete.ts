import { CONTENT_TYPES, CompleteRequest, type FieldIssue, type WorkerJobStatus } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../context';
import { wakeJobWatchers } from '../../durable/job-watch';
import { ApiError, fieldError } from '../../errors/api-error';
import { parseJsonBody } from '../../lib/json-body';
import { completeJob, type StoredOutput } from '../../store/scripts/complete-job';
import { deliverSoon } from '../../webhooks/deliver-soon';
import { jobIdParam, LeaseCheckError, readLeasedJob, refusalError } from './leased-job';
import { leaseSegment, outputKey } from './output-object';

/**
 * POST /jobs/{id}/complete: the job succeeds only once every output it owes is in R2, written
 * under this very lease; then one script settles it (complete-job.ts), fenced by the token.
 */
export const completeRoute = new Hono<AppEnv>().post('/:id/complete', async (c) => {
  const jobId = jobIdParam(c);
  const { data } = await parseJsonBody(c, CompleteRequest);
  const job = await readLeasedJob(c, jobId, data.lease_token).catch(async (error: unknown) => {
    // The same worker repeating a complete whose reply it lost: the script answers the repeat.
    const repeat =
      error instanceof LeaseCheckError &&
      error.jobStatus === 'succeeded' &&
      error.jobLeaseToken === data.lease_token;
    if (!repeat) throw error;
    return null;
  });
  if (job === null) return repeatedCompletion(c, jobId, data.lease_token);
  const { num_outputs: owed, output_format: format } = job.input;
  const contentType = CONTENT_TYPES[format];

  const indexes = data.outputs.map((o) => o.index).sort((a, b) => a - b);
  if (indexes.length !== owed || indexes.some((index, i) => index !== i)) {
    throw fieldError('outputs', `must list each output index from 0 to ${owed - 1} exactly once`, owed);
  }
  data.outputs.forEach((output, i) => {
    if (output.content_type !== contentType) {
      throw fieldError(`outputs.${i}.content_type`, `must be ${contentType}`, contentType);
    }
  });

  // Only this lease's folder: objects other leases wrote (late uploads included) are never named.
  const lease = await leaseSegment(data.lease_token);
  const stored: StoredOutput[] = data.outputs
    .map((o) => ({
      key: outputKey(job.accountId, jobId, lease, o.index, format),
      content_type: contentType,
      width: o.width,
      height: o.height,
      seed: o.seed,
      ...(o.nsfw === undefined ? {} : { nsfw: o.nsfw }),
      index: o.index,
    }))
    .sort((a, b) => a.index - b.index)
    .map(({ index: _, ...output }) => output);

  const heads = await Promise.all(stored.map((o) => c.env.OUTPUTS.head(o.key)));
  const problems: FieldIssue[] = [];
  heads.forEach((head, index) => {
    if (!head)
      problems.push({ field: `outputs.${index}`, message: `not uploaded: PUT it to outputs/${index} first` });
    else if (head.customMetadata?.lease_token !== data.lease_token) {
      problems.push({
        field: `outputs.${index}`,
        message: 'written under an earlier lease: upload it again',
      });
    }
  });
  if (problems.length > 0) {
    throw new ApiError(
      'invalid_state',
      `Outputs missing or stale: ${problems.map((p) => p.field).join(', ')}.`,
      problems,
    );
  }

  const result = await completeJob(c.get('redis'), {
    jobId,
    leaseToken: data.lease_token,
    outputs: stored,
    inferenceMs: data.metrics.inference_ms,
  });
  if (result.outcome !== 'ok') throw refusalError(result, jobId);
  deliverSoon(c); // the completed webhooks of the job and of its coalesced followers
  c.executionCtx.waitUntil(wakeJobWatchers(c.env, jobId)); // followers' watchers watch this id too
  const body: WorkerJobStatus = { job_id: jobId, status: 'succeeded', units: result.units };
  return c.json(body);
});

/** Runs the script for its repeat answer: it only replies, since the job already succeeded under this token. */
async function repeatedCompletion(c: Context<AppEnv>, jobId: string, leaseToken: string) {
  const result = await completeJob(c.get('redis'), { jobId, leaseToken, outputs: [], inferenceMs: 0 });
  if (result.outcome !== 'ok') throw refusalError(result, jobId);
  const body: WorkerJobStatus = { job_id: jobId, status: 'succeeded', units: result.units };
  return c.json(body);
}

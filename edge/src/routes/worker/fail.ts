import { FailRequest, ReleaseRequest, type WorkerJobStatus } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../context';
import { wakeJobWatchers } from '../../durable/job-watch';
import { wakeWorkers } from '../../durable/wake-workers';
import { ApiError } from '../../errors/api-error';
import { parseJsonBody } from '../../lib/json-body';
import { ackCancelJob } from '../../store/scripts/ack-cancel-job';
import { failJob } from '../../store/scripts/fail-job';
import { releaseJob } from '../../store/scripts/release-job';
import { deliverSoon } from '../../webhooks/deliver-soon';
import { jobIdParam, refusalError } from './leased-job';

/**
 * POST /jobs/{id}/fail: a retryable error requeues until attempts run out; `code: canceled`
 * acknowledges a cancel the heartbeat announced. POST /jobs/{id}/release: a draining worker gives
 * the job back without spending an attempt.
 */
export const failRoutes = new Hono<AppEnv>()
  .post('/:id/fail', async (c) => {
    const jobId = jobIdParam(c);
    const { data } = await parseJsonBody(c, FailRequest);
    const { redis } = c.var;
    if (data.error.code === 'canceled') {
      const result = await ackCancelJob(redis, { jobId, leaseToken: data.lease_token });
      if (result.outcome === 'not_requested') {
        throw new ApiError(
          'invalid_state',
          `No cancel was requested for ${jobId}: fail it with another code, or release it to give it back.`,
          [
            {
              field: 'error.code',
              message: 'canceled is accepted only after a heartbeat answered cancel: true',
            },
          ],
        );
      }
      if (result.outcome !== 'ok') throw refusalError(result, jobId);
      return answer(c, jobId, result.status, result.promoted ? result.model : null);
    }
    // The worker's own text goes to the logs (and the admin API), never to the customer.
    console.warn(
      JSON.stringify({
        event: 'job_failed',
        job_id: jobId,
        code: data.error.code,
        message: data.error.message,
      }),
    );
    const result = await failJob(redis, {
      jobId,
      leaseToken: data.lease_token,
      error: data.error,
      retryable: data.retryable,
    });
    if (result.outcome !== 'ok') throw refusalError(result, jobId);
    const requeued = (result.status === 'queued' && !result.repeated) || result.promoted !== null;
    return answer(c, jobId, result.status, requeued ? result.model : null);
  })
  .post('/:id/release', async (c) => {
    const jobId = jobIdParam(c);
    const { data } = await parseJsonBody(c, ReleaseRequest);
    const result = await releaseJob(c.get('redis'), {
      jobId,
      leaseToken: data.lease_token,
      maxReleases: c.get('config').maxReleases,
    });
    if (result.outcome !== 'ok') throw refusalError(result, jobId);
    const requeued = result.status === 'queued' || result.promoted !== null;
    return answer(c, jobId, result.status, requeued ? result.model : null);
  });

/** Replies; when a job went (back) on a queue, wakes that model's parked lease calls. */
function answer(
  c: Context<AppEnv>,
  jobId: string,
  status: WorkerJobStatus['status'],
  wakeModel: string | null,
) {
  if (wakeModel) c.executionCtx.waitUntil(wakeWorkers(c.env, wakeModel));
  c.executionCtx.waitUntil(wakeJobWatchers(c.env, jobId)); // its status changed
  if (status === 'failed' || status === 'canceled') deliverSoon(c); // the completed webhook
  const body: WorkerJobStatus = { job_id: jobId, status };
  return c.json(body);
}

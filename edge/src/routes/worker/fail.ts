import { FailRequest, ReleaseRequest, type WorkerJobStatus } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../context';
import { wakeWorkers } from '../../durable/wake-workers';
import { ApiError } from '../../errors/api-error';
import { parseJsonBody } from '../../lib/json-body';
import { ackCancelJob } from '../../store/scripts/ack-cancel-job';
import { failJob } from '../../store/scripts/fail-job';
import { releaseJob } from '../../store/scripts/release-job';
import { jobIdParam, refusalError } from './leased-job';

/**
 * POST /jobs/{id}/fail: a retryable error requeues until attempts run out; `code: canceled`
 * acknowledges a cancel the heartbeat announced. POST /jobs/{id}/release: a draining worker gives
 * the job back without spending an attempt. A requeued job wakes the parked lease calls.
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
              message: 'canceled is only accepted after a heartbeat answered cancel: true',
            },
          ],
        );
      }
      if (result.outcome !== 'ok') throw refusalError(result, jobId);
      return reply(c, { job_id: jobId, status: result.status });
    }
    const result = await failJob(redis, {
      jobId,
      leaseToken: data.lease_token,
      error: data.error,
      retryable: data.retryable,
    });
    if (result.outcome !== 'ok') throw refusalError(result, jobId);
    if (result.status === 'queued' && !result.repeated)
      c.executionCtx.waitUntil(wakeWorkers(c.env, result.model));
    return reply(c, { job_id: jobId, status: result.status });
  })
  .post('/:id/release', async (c) => {
    const jobId = jobIdParam(c);
    const { data } = await parseJsonBody(c, ReleaseRequest);
    const result = await releaseJob(c.var.redis, { jobId, leaseToken: data.lease_token });
    if (result.outcome !== 'ok') throw refusalError(result, jobId);
    if (result.status === 'queued') c.executionCtx.waitUntil(wakeWorkers(c.env, result.model));
    return reply(c, { job_id: jobId, status: result.status });
  });

const reply = (c: Context<AppEnv>, body: WorkerJobStatus) => c.json(body);

import { HeartbeatRequest, type HeartbeatResponse } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { wakeJobWatchers } from '../../durable/job-watch';
import { parseJsonBody } from '../../lib/json-body';
import { heartbeatJob } from '../../store/scripts/heartbeat-job';
import { jobIdParam, refusalError } from './leased-job';

/** POST /jobs/{id}/heartbeat: extends the lease, records progress, says whether to stop. */
export const heartbeatRoute = new Hono<AppEnv>().post('/:id/heartbeat', async (c) => {
  const jobId = jobIdParam(c);
  const { data } = await parseJsonBody(c, HeartbeatRequest);
  const result = await heartbeatJob(c.get('redis'), {
    jobId,
    leaseToken: data.lease_token,
    leaseTtlMs: c.get('config').leaseTtlMs,
    progress: data.progress,
  });
  if (result.outcome !== 'ok') throw refusalError(result, jobId);
  // Progress changed (or may have): open streams on the job read it now.
  if (data.progress) c.executionCtx.waitUntil(wakeJobWatchers(c.env, jobId));
  const body: HeartbeatResponse = { lease_expires_at: result.lease_expires_at, cancel: result.cancel };
  return c.json(body);
});

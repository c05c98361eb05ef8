import { withPrelude } from './lua-prelude';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Cancel acknowledgement: the lease holder saw `cancel: true` on a heartbeat, stopped, and says
 * so. The job ends canceled and its held credits go back. Only a requested cancel can be
 * acknowledged: a worker that wants to give a job back uses release-job instead.
 *
 * KEYS: none   ARGV: context, job_id, lease_token
 */
const LUA = withPrelude(`
local job_id, token = ARGV[2], ARGV[3]
local now = now_ms()
local job = load_job(job_id)
if job and job.lease_token == token and job.status == 'canceled' then
  return cjson.encode({ status = 'canceled', model = job.model, repeated = true })
end
if not holds_lease(job, token, now) then return LEASE_LOST end
if job.cancel_requested ~= '1' then return cjson.encode({ not_requested = true }) end
cancel_job(job, now)
return cjson.encode({ status = 'canceled', model = job.model })
`);

export const ACK_CANCEL_JOB: LuaScript = {
  name: 'ack-cancel-job',
  lua: LUA,
  sha1: 'dd7fd9bc7afc2184168b29261ad9f9331eeeeeb9',
};

export type AckCancelResult =
  | { lease_lost: true }
  | { not_requested: true; lease_lost?: undefined }
  | {
      lease_lost?: undefined;
      not_requested?: undefined;
      status: 'canceled';
      model: string;
      repeated?: boolean;
    };

export function ackCancelJob(
  redis: ScriptRedis,
  options: { jobId: string; leaseToken: string },
): Promise<AckCancelResult> {
  return runScript<AckCancelResult>(
    redis,
    ACK_CANCEL_JOB,
    [],
    [SCRIPT_CONTEXT, options.jobId, options.leaseToken],
  );
}

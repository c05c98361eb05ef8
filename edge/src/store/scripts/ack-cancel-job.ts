import { withPrelude } from './lua-prelude';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
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
if job == nil then return NOT_FOUND end
if job and job.lease_token == token and job.status == 'canceled' then
  return cjson.encode({ status = 'canceled', model = job.model, repeated = true })
end
if not holds_lease(job, token, now) then return LEASE_LOST end
if job.cancel_requested ~= '1' then return cjson.encode({ not_requested = true }) end
local heir = cancel_job(job, now)
return cjson.encode({ status = 'canceled', model = job.model, promoted = heir })
`);

export const ACK_CANCEL_JOB: LuaScript = {
  name: 'ack-cancel-job',
  lua: LUA,
  sha1: '629f4133e89c6323553eb80804674551db4dc994',
};

export type AckCancelResult =
  | Refusal
  /** The job holds a valid lease but nobody asked to cancel it: nothing changed. */
  | { outcome: 'not_requested' }
  | { outcome: 'ok'; status: 'canceled'; model: string; repeated: boolean; promoted: string | null };

export async function ackCancelJob(
  redis: ScriptRedis,
  options: { jobId: string; leaseToken: string },
): Promise<AckCancelResult> {
  const reply = await runScript<{
    not_requested?: boolean;
    status: 'canceled';
    model: string;
    repeated?: boolean;
    promoted?: string;
  }>(redis, ACK_CANCEL_JOB, [], [SCRIPT_CONTEXT, options.jobId, options.leaseToken]);
  if (reply.not_requested) return { outcome: 'not_requested' };
  return (
    refusalOf(reply) ?? {
      outcome: 'ok',
      status: reply.status,
      model: reply.model,
      repeated: reply.repeated === true,
      promoted: reply.promoted ?? null,
    }
  );
}

import lua from './ack-cancel-job.lua';
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
const LUA = withPrelude(lua);

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

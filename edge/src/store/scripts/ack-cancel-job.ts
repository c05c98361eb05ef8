import { SCRIPTS } from '../../lua/scripts.generated';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** ACK_CANCEL_JOB: ack-cancel-job.lua (its header says what it takes and does). */
export const ACK_CANCEL_JOB: LuaScript = SCRIPTS['ack-cancel-job'];

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

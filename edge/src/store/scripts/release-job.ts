import { SCRIPTS } from '../../lua/scripts.generated';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** RELEASE_JOB: release-job.lua (its header says what it takes and does). */
export const RELEASE_JOB: LuaScript = SCRIPTS['release-job'];

export type ReleaseResult =
  | Refusal
  | { outcome: 'ok'; status: 'queued' | 'canceled'; model: string; promoted: string | null };

export async function releaseJob(
  redis: ScriptRedis,
  options: { jobId: string; leaseToken: string },
): Promise<ReleaseResult> {
  const reply = await runScript<{ status: 'queued' | 'canceled'; model: string; promoted?: string }>(
    redis,
    RELEASE_JOB,
    [],
    [SCRIPT_CONTEXT, options.jobId, options.leaseToken],
  );
  return (
    refusalOf(reply) ?? {
      outcome: 'ok',
      status: reply.status,
      model: reply.model,
      promoted: reply.promoted ?? null,
    }
  );
}

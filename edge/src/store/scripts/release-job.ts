import { SCRIPTS } from '../../lua/scripts.generated';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** RELEASE_JOB: release-job.lua (its header says what it takes and does). */
export const RELEASE_JOB: LuaScript = SCRIPTS['release-job'];

export type ReleaseResult =
  | Refusal
  | { outcome: 'ok'; status: 'queued' | 'canceled' | 'failed'; model: string; promoted: string | null };

export interface ReleaseJobOptions {
  jobId: string;
  leaseToken: string;
  /**
   * Releases the job may have; the one beyond ends it failed (`too_many_releases`). Omitted: this
   * release is not counted (the edge gives back a lease its worker never received).
   */
  maxReleases?: number;
}

export async function releaseJob(redis: ScriptRedis, options: ReleaseJobOptions): Promise<ReleaseResult> {
  const reply = await runScript<{
    status: 'queued' | 'canceled' | 'failed';
    model: string;
    promoted?: string;
  }>(
    redis,
    RELEASE_JOB,
    [],
    [SCRIPT_CONTEXT, options.jobId, options.leaseToken, String(options.maxReleases ?? '')],
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

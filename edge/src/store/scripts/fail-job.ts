import { SCRIPTS } from '../../lua/scripts.generated';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** FAIL_JOB: fail-job.lua (its header says what it takes and does). */
export const FAIL_JOB: LuaScript = SCRIPTS['fail-job'];

export type FailResult =
  | Refusal
  | {
      outcome: 'ok';
      status: 'queued' | 'failed' | 'canceled';
      model: string;
      repeated: boolean;
      /** A coalesced follower that took over the canceled job's work, now queued. */
      promoted: string | null;
    };

export interface FailJobOptions {
  jobId: string;
  leaseToken: string;
  error: { code: string; message: string };
  retryable: boolean;
}

export async function failJob(redis: ScriptRedis, options: FailJobOptions): Promise<FailResult> {
  const reply = await runScript<{
    status: 'queued' | 'failed' | 'canceled';
    model: string;
    repeated?: boolean;
    promoted?: string;
  }>(
    redis,
    FAIL_JOB,
    [],
    [
      SCRIPT_CONTEXT,
      options.jobId,
      options.leaseToken,
      JSON.stringify(options.error),
      options.retryable ? '1' : '0',
    ],
  );
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

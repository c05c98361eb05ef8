import { SCRIPTS } from '../../lua/scripts.generated';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** COMPLETE_JOB: complete-job.lua (its header says what it takes and does). */
export const COMPLETE_JOB: LuaScript = SCRIPTS['complete-job'];

/** One stored output, as the job record keeps it (job-record.ts `outputs`). */
export interface StoredOutput {
  key: string;
  content_type: string;
  width: number;
  height: number;
  seed: number;
  /** The model's safety checker flagged it (the worker blocked or blurred it). */
  nsfw?: boolean;
}

export type CompleteResult = Refusal | { outcome: 'ok'; units: number; repeated: boolean };

export interface CompleteJobOptions {
  jobId: string;
  leaseToken: string;
  outputs: StoredOutput[];
  inferenceMs: number;
}

export async function completeJob(redis: ScriptRedis, options: CompleteJobOptions): Promise<CompleteResult> {
  const reply = await runScript<{ units: number; repeated?: boolean }>(
    redis,
    COMPLETE_JOB,
    [],
    [
      SCRIPT_CONTEXT,
      options.jobId,
      options.leaseToken,
      JSON.stringify(options.outputs),
      String(options.inferenceMs),
    ],
  );
  return refusalOf(reply) ?? { outcome: 'ok', units: reply.units, repeated: reply.repeated === true };
}

import lua from './complete-job.lua';
import { withPrelude } from './lua-prelude';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Complete: the lease holder's outputs (already verified in R2 by the route) become the job's
 * result. Credits settle (the held units are released, the charge taken), the queue entry and
 * lease go, the account's concurrency slot frees, a seeded job becomes the cache answer for its
 * fingerprint, and one usage event goes to the billing outbox. Repeating the call with the same
 * token answers the same, so a worker that lost the reply can retry safely.
 *
 * KEYS: none   ARGV: context, job_id, lease_token, outputs JSON, inference_ms
 */
const LUA = withPrelude(lua);

export const COMPLETE_JOB: LuaScript = {
  name: 'complete-job',
  lua: LUA,
  sha1: '5094b9b140ac162f5edb09c91504e41815b12d06',
};

/** One stored output, as the job record keeps it (job-record.ts `outputs`). */
export interface StoredOutput {
  key: string;
  content_type: string;
  width: number;
  height: number;
  seed: number;
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

import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** TIME_OUT_QUEUED_JOBS: time-out-queued-jobs.lua (its header says what it takes and does). */
export const TIME_OUT_QUEUED_JOBS: LuaScript = SCRIPTS['time-out-queued-jobs'];

/** Jobs ended per run; a larger backlog drains over the next runs. */
export const QUEUE_TIMEOUT_BATCH = 500;

export interface TimeOutResult {
  ended: { job_id: string; model: string; code: 'queue_timeout' | 'no_capacity' }[];
}

export interface TimeOutOptions {
  timeoutMs: number;
  /** A model no worker asked to lease within this window is not served: its jobs end `no_capacity`. */
  seenWindowMs: number;
  limit?: number;
}

/**
 * Ends (failed) every job that waited in a queue longer than `timeoutMs`: `no_capacity` when no
 * worker serves its model, else `queue_timeout`.
 */
export async function timeOutQueuedJobs(redis: ScriptRedis, o: TimeOutOptions): Promise<TimeOutResult> {
  const reply = await runScript<{ ended: unknown }>(
    redis,
    TIME_OUT_QUEUED_JOBS,
    [keys.queuedModels(), keys.modelsSeen()],
    [SCRIPT_CONTEXT, String(o.timeoutMs), String(o.limit ?? QUEUE_TIMEOUT_BATCH), String(o.seenWindowMs)],
  );
  return { ended: asList(reply.ended) };
}

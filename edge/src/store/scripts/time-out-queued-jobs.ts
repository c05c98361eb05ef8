import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** TIME_OUT_QUEUED_JOBS: time-out-queued-jobs.lua (its header says what it takes and does). */
export const TIME_OUT_QUEUED_JOBS: LuaScript = SCRIPTS['time-out-queued-jobs'];

/** Jobs ended per run; a larger backlog drains over the next runs. */
export const QUEUE_TIMEOUT_BATCH = 500;

export interface TimeOutResult {
  ended: { job_id: string; model: string }[];
}

/** Ends (failed, `queue_timeout`) every job that waited in a queue longer than `timeoutMs`. */
export async function timeOutQueuedJobs(
  redis: ScriptRedis,
  timeoutMs: number,
  limit = QUEUE_TIMEOUT_BATCH,
): Promise<TimeOutResult> {
  const reply = await runScript<{ ended: unknown }>(
    redis,
    TIME_OUT_QUEUED_JOBS,
    [keys.queuedModels()],
    [SCRIPT_CONTEXT, String(timeoutMs), String(limit)],
  );
  return { ended: asList(reply.ended) };
}

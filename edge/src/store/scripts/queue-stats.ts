import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** QUEUE_STATS: queue-stats.lua (its header says what it takes and does). */
export const QUEUE_STATS: LuaScript = SCRIPTS['queue-stats'];

export interface ModelQueueStats {
  model: string;
  depth: number;
  leased: number;
  oldest_age_ms: number;
}

export async function readQueueStats(redis: ScriptRedis): Promise<ModelQueueStats[]> {
  const reply = await runScript<{ models: unknown }>(
    redis,
    QUEUE_STATS,
    [keys.queuedModels()],
    [SCRIPT_CONTEXT],
  );
  return asList<ModelQueueStats>(reply.models).sort((a, b) => a.model.localeCompare(b.model));
}

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
  /** Redis ms a worker last asked to lease this model; absent when none ever did. */
  seen_at?: number;
}

export interface QueueSnapshot {
  /** Redis's clock (ms) when read. */
  now: number;
  models: ModelQueueStats[];
  /** The latest time a worker asked to lease any model; null when none ever did. */
  latestSeen: number | null;
}

export async function readQueueStats(redis: ScriptRedis): Promise<QueueSnapshot> {
  const reply = await runScript<{ now: number; models: unknown; latest_seen?: number }>(
    redis,
    QUEUE_STATS,
    [keys.queuedModels(), keys.modelsSeen()],
    [SCRIPT_CONTEXT],
  );
  const models = asList<ModelQueueStats>(reply.models).sort((a, b) => a.model.localeCompare(b.model));
  return { now: reply.now, models, latestSeen: reply.latest_seen ?? null };
}

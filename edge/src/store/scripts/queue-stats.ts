import { keys } from '../keys';
import { withPrelude } from './lua-prelude';
import lua from './queue-stats.lua';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Queue metrics for every model that ever had a queue, in one round trip (KEDA polls this).
 * Finished entries are always acknowledged and deleted together, so a stream holds only waiting
 * and leased entries: depth = length - pending. The oldest waiting entry is the first one after
 * the group's last-delivered id; its id carries its enqueue time.
 *
 * KEYS: models:queued   ARGV: context
 */
const LUA = withPrelude(lua);

export const QUEUE_STATS: LuaScript = {
  name: 'queue-stats',
  lua: LUA,
  sha1: '26722036d4e871bb4c3620bf1b935477e3ecbf7e',
};

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

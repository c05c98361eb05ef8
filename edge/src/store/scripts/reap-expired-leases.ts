import { keys } from '../keys';
import { withPrelude } from './lua-prelude';
import lua from './reap-expired-leases.lua';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Reaper (cron): finds expired leases through the `leases` zset, which covers every model, also
 * the ones no worker is polling, and requeues each job as its next attempt, or ends it when its
 * attempts are spent (failed) or a cancel was asked for (canceled). Members that no longer match a
 * live lease (finished jobs, or an extension not yet reflected) are tidied.
 *
 * KEYS: leases   ARGV: context, batch limit
 */
const LUA = withPrelude(lua);

export const REAP_EXPIRED_LEASES: LuaScript = {
  name: 'reap-expired-leases',
  lua: LUA,
  sha1: 'b93a8d37e72c642b85984f6dcbc620f7ed6c690e',
};

export interface ReapResult {
  scanned: number;
  requeued: { job_id: string; model: string }[];
  ended: { job_id: string; status: 'failed' | 'canceled' }[];
}

/** Jobs looked at per run; a backlog larger than this drains over the next runs. */
export const REAP_BATCH = 500;

export async function reapExpiredLeases(redis: ScriptRedis, limit = REAP_BATCH): Promise<ReapResult> {
  const reply = await runScript<ReapResult>(
    redis,
    REAP_EXPIRED_LEASES,
    [keys.leases()],
    [SCRIPT_CONTEXT, String(limit)],
  );
  return { scanned: reply.scanned, requeued: asList(reply.requeued), ended: asList(reply.ended) };
}

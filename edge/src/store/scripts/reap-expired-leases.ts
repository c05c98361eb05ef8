import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { asList, type LuaScript, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/** REAP_EXPIRED_LEASES: reap-expired-leases.lua (its header says what it takes and does). */
export const REAP_EXPIRED_LEASES: LuaScript = SCRIPTS['reap-expired-leases'];

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

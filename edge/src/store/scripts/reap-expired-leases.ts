import { keys } from '../keys';
import { withPrelude } from './lua-prelude';
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
const LUA = withPrelude(`
local limit = tonumber(ARGV[2])
local now = now_ms()
local requeued, ended = {}, {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, job_id in ipairs(due) do
  local job = load_job(job_id)
  if job == nil or job.status ~= 'running' then
    redis.call('ZREM', KEYS[1], job_id)
  elseif (tonumber(job.lease_expires_at) or 0) > now then
    redis.call('ZADD', KEYS[1], job.lease_expires_at, job_id)
  else
    local outcome, heir = end_expired(job, now)
    if outcome then
      ended[#ended + 1] = { job_id = job_id, status = outcome }
      if heir then requeued[#requeued + 1] = { job_id = heir, model = job.model } end
    else
      requeue(job)
      requeued[#requeued + 1] = { job_id = job_id, model = job.model }
    end
  end
end
return cjson.encode({ scanned = #due, requeued = requeued, ended = ended })
`);

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

import { withPrelude } from './lua-prelude';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Release: a draining worker (SIGTERM) gives back a job it will not finish. The job goes back on
 * its queue without spending an attempt, since nothing went wrong with it; a cancel asked for
 * meanwhile ends it canceled instead.
 *
 * KEYS: none   ARGV: context, job_id, lease_token
 */
const LUA = withPrelude(`
local job_id, token = ARGV[2], ARGV[3]
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if not holds_lease(job, token, now) then return LEASE_LOST end
if job.cancel_requested == '1' then
  local heir = cancel_job(job, now)
  return cjson.encode({ status = 'canceled', model = job.model, promoted = heir })
end
local jk = key(CTX.job, job_id)
redis.call('HINCRBY', jk, 'attempt', -1)
job.attempt = tostring((tonumber(job.attempt) or 1) - 1)
requeue(job)
return cjson.encode({ status = 'queued', model = job.model })
`);

export const RELEASE_JOB: LuaScript = {
  name: 'release-job',
  lua: LUA,
  sha1: 'db96cd22cf1382fadc6737b6882a387f64dbfe9d',
};

export type ReleaseResult =
  | Refusal
  | { outcome: 'ok'; status: 'queued' | 'canceled'; model: string; promoted: string | null };

export async function releaseJob(
  redis: ScriptRedis,
  options: { jobId: string; leaseToken: string },
): Promise<ReleaseResult> {
  const reply = await runScript<{ status: 'queued' | 'canceled'; model: string; promoted?: string }>(
    redis,
    RELEASE_JOB,
    [],
    [SCRIPT_CONTEXT, options.jobId, options.leaseToken],
  );
  return (
    refusalOf(reply) ?? {
      outcome: 'ok',
      status: reply.status,
      model: reply.model,
      promoted: reply.promoted ?? null,
    }
  );
}

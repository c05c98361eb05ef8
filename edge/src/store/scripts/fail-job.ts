import { withPrelude } from './lua-prelude';
import { type LuaScript, type Refusal, refusalOf, runScript, type ScriptRedis } from './run-script';
import { SCRIPT_CONTEXT } from './script-context';

/**
 * Fail: the lease holder reports an error. A retryable one with attempts left puts the job back on
 * its queue (the next lease is the next attempt); otherwise the job fails with the error and the
 * held credits go back to the account. A cancel asked for meanwhile wins: the job is canceled.
 * Repeating the call with the same token after the job ended answers the same.
 *
 * KEYS: none   ARGV: context, job_id, lease_token, error JSON {code, message}, retryable "1"|"0"
 */
const LUA = withPrelude(`
local job_id, token, err, retryable = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if job and job.lease_token == token and (job.status == 'failed' or job.status == 'canceled') then
  return cjson.encode({ status = job.status, model = job.model, repeated = true })
end
if not holds_lease(job, token, now) then return LEASE_LOST end

if job.cancel_requested == '1' then
  local heir = cancel_job(job, now)
  return cjson.encode({ status = 'canceled', model = job.model, promoted = heir })
end
if retryable and attempts_left(job) then
  redis.call('HSET', key(CTX.job, job_id), 'last_error', err)
  requeue(job)
  return cjson.encode({ status = 'queued', model = job.model })
end
local decoded = cjson.decode(err)
fail_job(job, now, decoded.code, decoded.message)
return cjson.encode({ status = 'failed', model = job.model })
`);

export const FAIL_JOB: LuaScript = {
  name: 'fail-job',
  lua: LUA,
  sha1: '26fad1839b5f3f48df6f64c41ffb1c451afe532f',
};

export type FailResult =
  | Refusal
  | {
      outcome: 'ok';
      status: 'queued' | 'failed' | 'canceled';
      model: string;
      repeated: boolean;
      /** A coalesced follower that took over the canceled job's work, now queued. */
      promoted: string | null;
    };

export interface FailJobOptions {
  jobId: string;
  leaseToken: string;
  error: { code: string; message: string };
  retryable: boolean;
}

export async function failJob(redis: ScriptRedis, options: FailJobOptions): Promise<FailResult> {
  const reply = await runScript<{
    status: 'queued' | 'failed' | 'canceled';
    model: string;
    repeated?: boolean;
    promoted?: string;
  }>(
    redis,
    FAIL_JOB,
    [],
    [
      SCRIPT_CONTEXT,
      options.jobId,
      options.leaseToken,
      JSON.stringify(options.error),
      options.retryable ? '1' : '0',
    ],
  );
  return (
    refusalOf(reply) ?? {
      outcome: 'ok',
      status: reply.status,
      model: reply.model,
      repeated: reply.repeated === true,
      promoted: reply.promoted ?? null,
    }
  );
}

/**
 * Lua shared by every worker-protocol script, prepended to each (so each file still runs as one
 * EVAL and is pinned by one hash). It holds the pieces every transition must do the same way:
 * reading the job, checking a lease, requeueing, and ending a job with its side effects.
 *
 * ARGV[1] is always SCRIPT_CONTEXT (script-context.ts): key templates and the consumer group.
 */
export const LUA_PRELUDE = `
local CTX = cjson.decode(ARGV[1])

-- Fills each '{}' of a key template from keys.ts with the next argument.
local function key(template, ...)
  local parts, i = { ... }, 0
  return (string.gsub(template, '{}', function()
    i = i + 1
    return parts[i]
  end))
end

-- Redis's own clock, so lease expiry and the stream's idle times (XAUTOCLAIM) share one clock
-- whichever edge location runs the script.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function load_job(job_id)
  local flat = redis.call('HGETALL', key(CTX.job, job_id))
  if #flat == 0 then return nil end
  local job = { id = job_id }
  for i = 1, #flat, 2 do job[flat[i]] = flat[i + 1] end
  return job
end

-- Fencing: only the holder of the current, unexpired lease may act for the job.
local function holds_lease(job, token, now)
  return job ~= nil and job.status == 'running' and job.lease_token == token
    and (tonumber(job.lease_expires_at) or 0) > now
end

local function attempts_left(job)
  local limit = tonumber(job.max_attempts) or CTX.default_max_attempts
  return (tonumber(job.attempt) or 0) < limit, limit
end

-- Acknowledged (leaves the pending list) and deleted, so XLEN - pending stays the queue depth.
local function drop_entry(job)
  if job.stream_id and job.stream_id ~= '' then
    local q = key(CTX.queue, job.model)
    redis.call('XACK', q, CTX.group, job.stream_id)
    redis.call('XDEL', q, job.stream_id)
  end
end

-- Back of its model's queue as a new entry; the next lease counts the next attempt.
local function requeue(job)
  drop_entry(job)
  local next_attempt = (tonumber(job.attempt) or 0) + 1
  local stream_id = redis.call('XADD', key(CTX.queue, job.model), '*', 'job', job.id, 'attempt', next_attempt)
  local jk = key(CTX.job, job.id)
  redis.call('HSET', jk, 'status', 'queued', 'stream_id', stream_id, 'progress_step', 0)
  redis.call('HDEL', jk, 'lease_token', 'lease_expires_at', 'worker_id')
  redis.call('ZREM', CTX.leases, job.id)
end

-- The terminal step every outcome shares: status, no lease, no queue entry, the account's
-- concurrency slot back, and the in-flight fingerprint no longer pointing here. The lease token
-- stays on the record so a worker retrying the same call gets the same answer.
local function finish(job, status, now, fields)
  local jk = key(CTX.job, job.id)
  redis.call('HSET', jk, 'status', status, 'completed_at', now, unpack(fields))
  redis.call('HDEL', jk, 'lease_expires_at', 'cancel_requested')
  redis.call('ZREM', CTX.leases, job.id)
  drop_entry(job)
  local active = key(CTX.active, job.account_id)
  if redis.call('DECR', active) < 0 then redis.call('SET', active, 0) end
  if job.fingerprint and job.fingerprint ~= '' then
    local live = key(CTX.fp_live, job.fingerprint)
    if redis.call('GET', live) == job.id then redis.call('DEL', live) end
  end
end

-- Failure or cancel: the units held at submit go back to the account, nothing is charged.
local function release_credits(job)
  local held = tonumber(job.units_reserved) or 0
  if held > 0 then
    local acct = key(CTX.account, job.account_id)
    redis.call('HINCRBYFLOAT', acct, 'reserved', -held)
    redis.call('HINCRBYFLOAT', acct, 'credits', held)
  end
  redis.call('HSET', key(CTX.job, job.id), 'units', 0)
end

local function fail_job(job, now, code, message)
  release_credits(job)
  finish(job, 'failed', now, { 'error', cjson.encode({ code = code, message = message }) })
end

local function cancel_job(job, now)
  release_credits(job)
  finish(job, 'canceled', now, {})
end

-- A lease that ran out (worker died, hung or lost its network) and cannot simply be retried:
-- returns 'canceled' or 'failed' after ending the job, or nil when an attempt is left.
local function end_expired(job, now)
  if job.cancel_requested == '1' then
    cancel_job(job, now)
    return 'canceled'
  end
  local left, limit = attempts_left(job)
  if not left then
    fail_job(job, now, 'lease_expired', 'no worker finished the job in ' .. limit .. ' attempts; the last lease expired')
    return 'failed'
  end
  return nil
end

local LEASE_LOST = cjson.encode({ lease_lost = true })
local NOT_FOUND = cjson.encode({ not_found = true })
`;

/** Joins the prelude and a script body; the pinned hash covers exactly this text. */
export function withPrelude(body: string): string {
  return LUA_PRELUDE + body;
}

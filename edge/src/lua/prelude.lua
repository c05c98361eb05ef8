-- The prelude every worker-protocol script includes: the pieces every transition must do the same
-- way (reading the job, checking a lease, requeueing, ending a job with its side effects).
-- ARGV[1] is always SCRIPT_CONTEXT (store/scripts/script-context.ts): key templates and the group.
--- @include "webhook-events"
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

-- A field of a stream entry (its flat field/value list).
local function stream_field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- The workers' group on stream q: { pending, last_delivered }, or nil when the stream or the group
-- does not exist yet. Entries after last_delivered wait for a worker; an entry's id carries its
-- enqueue time (ms).
local function queue_group(q)
  local groups = redis.pcall('XINFO', 'GROUPS', q)
  if type(groups) ~= 'table' or groups.err then return nil end
  for _, g in ipairs(groups) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    if info.name == CTX.group then return { pending = info.pending, last_delivered = info['last-delivered-id'] } end
  end
  return nil
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

-- The UTC day (yyyy-mm-dd) of a Unix ms time, for the usage ledger (days-from-civil inverted,
-- as in H. Hinnant's chrono algorithms): Lua in Redis has no os.date.
local function utc_day(ms)
  local z = math.floor(ms / 86400000) + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02d', y, m, d)
end

local function free_slot(account_id)
  local active = key(CTX.active, account_id)
  if redis.call('DECR', active) < 0 then redis.call('SET', active, 0) end
end

-- A usage event: the daily ledger for every live job, the billing outbox when there is something
-- to bill.
-- Charged units are paid from the plan's monthly allowance first: what the allowance covers moves
-- into credits, which the job's hold had taken below what the prepaid balance alone allows
-- (submit-generation.lua, allowance_left).
-- `livemode` is the job record's field: "0" for a test key's job, which is free, so neither usage
-- nor billed (DESIGN decision 4).
-- `day` is the ledger day when the caller names it (settle-follower.lua is given the reader's day);
-- otherwise the day of `now` on Redis's clock.
local function record_usage(job_id, account_id, model, units, now, livemode, day)
  if livemode == '0' then return end
  local usage = key(CTX.usage_day, account_id, day or utc_day(now))
  redis.call('HINCRBYFLOAT', usage, model .. ':units', units)
  redis.call('HINCRBY', usage, model .. ':jobs', 1)
  if units > 0 then
    local acct = key(CTX.account, account_id)
    local from_allowance = math.min(units, tonumber(redis.call('HGET', acct, 'allowance_left')) or 0)
    if from_allowance > 0 then
      redis.call('HINCRBYFLOAT', acct, 'allowance_left', -from_allowance)
      redis.call('HINCRBYFLOAT', acct, 'credits', from_allowance)
    end
    redis.call('XADD', CTX.outbox, '*', 'job', job_id, 'account', account_id, 'model', model, 'units', units, 'at', now)
  end
end

-- Coalesced followers of a leader that just ended (keys.ts, coalescing contract): its outputs
-- answer them at the cache price, its failure fails them, and its cancel hands the work to the
-- first of them. Returns the promoted follower's id, if any.
local function settle_followers(leader, status, now)
  local list = key(CTX.followers, leader.id)
  local ids = redis.call('LRANGE', list, 0, -1)
  redis.call('DEL', list)
  local heir = nil
  local outputs, err = unpack(redis.call('HMGET', key(CTX.job, leader.id), 'outputs', 'error'))
  for _, id in ipairs(ids) do
    local f = load_job(id)
    if f and f.leader == leader.id and (f.status == 'queued' or f.status == 'running') then
      local fk = key(CTX.job, id)
      local held = tonumber(f.units_reserved) or 0
      local acct = key(CTX.account, f.account_id)
      if status == 'succeeded' then
        local units = math.min(tonumber(f.units_cache_hit) or 0, held)
        if held > 0 then redis.call('HINCRBYFLOAT', acct, 'reserved', -held) end
        if held - units ~= 0 then redis.call('HINCRBYFLOAT', acct, 'credits', held - units) end
        redis.call('HSET', fk, 'status', 'succeeded', 'cached', '1', 'cache_source', leader.id, 'outputs', outputs,
          'started_at', leader.started_at or now, 'completed_at', now, 'units', units, 'inference_ms', 0)
        redis.call('HDEL', fk, 'cancel_requested')
        record_usage(id, f.account_id, f.model, units, now, f.livemode)
        free_slot(f.account_id)
        webhook_event(id, 'completed', now)
      elseif status == 'failed' then
        if held > 0 then
          redis.call('HINCRBYFLOAT', acct, 'reserved', -held)
          redis.call('HINCRBYFLOAT', acct, 'credits', held)
        end
        redis.call('HSET', fk, 'status', 'failed', 'error', err or '{}', 'completed_at', now, 'units', 0)
        free_slot(f.account_id)
        webhook_event(id, 'completed', now)
      elseif heir == nil then
        heir = id
        redis.call('HDEL', fk, 'leader', 'started_at')
        local stream_id = redis.call('XADD', key(CTX.queue, f.model), '*', 'job', id, 'attempt', 1)
        redis.call('HSET', fk, 'status', 'queued', 'stream_id', stream_id)
        if f.fingerprint and f.fingerprint ~= '' then
          local ttl = redis.call('PTTL', fk)
          redis.call('SET', key(CTX.fp_live, f.fingerprint), id, 'PX', ttl > 0 and ttl or 86400000)
        end
      else
        redis.call('HSET', fk, 'leader', heir, 'status', 'queued')
        redis.call('RPUSH', key(CTX.followers, heir), id)
      end
    end
  end
  if heir then
    local ttl = redis.call('PTTL', key(CTX.job, heir))
    if ttl > 0 then redis.call('PEXPIRE', key(CTX.followers, heir), ttl) end
  end
  return heir
end

-- The terminal step every outcome shares: status, no lease, no queue entry, the account's
-- concurrency slot back, the in-flight fingerprint no longer pointing here, and the followers
-- settled. The lease token stays on the record so a worker retrying the same call gets the same
-- answer. Returns the promoted follower's id when a canceled leader handed its work on.
local function finish(job, status, now, fields)
  local jk = key(CTX.job, job.id)
  redis.call('HSET', jk, 'status', status, 'completed_at', now, unpack(fields))
  redis.call('HDEL', jk, 'lease_expires_at', 'cancel_requested')
  redis.call('ZREM', CTX.leases, job.id)
  drop_entry(job)
  free_slot(job.account_id)
  if job.fingerprint and job.fingerprint ~= '' then
    local live = key(CTX.fp_live, job.fingerprint)
    if redis.call('GET', live) == job.id then redis.call('DEL', live) end
  end
  webhook_event(job.id, 'completed', now)
  return settle_followers(job, status, now)
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

-- Returns the promoted follower's id, if any (its model's workers should be woken).
local function cancel_job(job, now)
  release_credits(job)
  return finish(job, 'canceled', now, {})
end

-- A lease that ran out (worker died, hung or lost its network) and cannot simply be retried:
-- returns 'canceled' or 'failed' after ending the job (and a promoted follower's id), or nil when
-- an attempt is left.
local function end_expired(job, now)
  if job.cancel_requested == '1' then
    return 'canceled', cancel_job(job, now)
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

-- Upstash: global lock (replay, cache and coalescing read the job records their index keys name; webhook deliveries).
-- Submit: everything a new generation needs, atomically, in one EVAL (one REST round trip).
-- In order: idempotency replay or conflict; the result cache (a seeded request already answered);
-- the account's concurrency cap; the credit reservation; coalescing onto an identical job in
-- flight; else a new job on its model's stream. See keys.ts for the coalescing contract.
--
-- KEYS[1] acct:{a}          KEYS[2] acct:{a}:active    KEYS[3] acct:{a}:jobs
-- KEYS[4] job:{new}         KEYS[5] q:{model}          KEYS[6] models:queued
-- KEYS[7] idem:{a}:{h}      KEYS[8] fp:done:{fp}       KEYS[9] fp:live:{fp}
-- KEYS[10] outbox:usage
-- ARGV[1] JSON key templates { job, followers, usage_day, group } ('{}' stands for an id)
-- ARGV[2] new job id        ARGV[3] units to reserve   ARGV[4] units a cache answer costs
-- ARGV[5] concurrency limit ARGV[6] retention s        ARGV[7] body hash ('' = no Idempotency-Key)
-- ARGV[8] idempotency TTL s ARGV[9] fingerprint ('' = not cacheable)  ARGV[10] model
-- ARGV[11] UTC day (usage ledger)
-- ARGV[12] the plan's monthly allowance (units granted each calendar month, spent before credits)
-- ARGV[13] '' for a live key; for a test key, the plan's test generations per UTC day (the
-- account's `test_quota` field overrides it). A test key's job is free: the caller sends 0 units,
-- nothing is held, and a cache answer touches neither credits, the usage ledger nor the outbox.
-- ARGV[14..] the job fields to write, flat: field, value, ... (plain arguments, not a JSON list:
-- values such as the input are JSON text already, and nesting them costs escaping on every hop)
-- Returns JSON { outcome, job_id, ... } where outcome is one of created | coalesced | cached |
-- replayed | idempotency_conflict | test_quota_exceeded | concurrency_limited |
-- insufficient_credits | no_account.
-- A new job ('created', the common case) answers only what the script decided (created_at,
-- stream_id): the caller sent every other field itself. The rarer outcomes that answer with
-- another record, or with one the script filled in, carry `job` = flat HGETALL of it.
--- @include "webhook-events"
local ctx = cjson.decode(ARGV[1])
local job_id, fields = ARGV[2], { unpack(ARGV, 14) }
local units, cache_units = tonumber(ARGV[3]), tonumber(ARGV[4])
local concurrency_limit, retention = tonumber(ARGV[5]), tonumber(ARGV[6])
local body_hash, idem_ttl = ARGV[7], tonumber(ARGV[8])
local fingerprint, model, day = ARGV[9], ARGV[10], ARGV[11]
local allowance = tonumber(ARGV[12]) or 0
local livemode, plan_test_quota = ARGV[13] == '', tonumber(ARGV[13])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function key(template, id)
  return (string.gsub(template, '{}', id, 1))
end

local function answer(outcome, id, extra)
  local result = extra or {}
  result.outcome = outcome
  result.job_id = id
  if id then result.job = redis.call('HGETALL', key(ctx.job, id)) end
  return cjson.encode(result)
end

-- 0. A resend of this very call (@upstash/redis resends a request whose reply was lost, even when
-- Redis ran it): the new job's id is the call's token, so its record means a first run got this far.
-- Answer what that run answered instead of reserving credits and a slot again.
if redis.call('EXISTS', KEYS[4]) == 1 then
  local first = redis.call('HMGET', KEYS[4], 'leader', 'cached', 'created_at', 'stream_id')
  if first[1] and first[1] ~= '' then return answer('coalesced', job_id, { leader = first[1] }) end
  if first[2] == '1' then return answer('cached', job_id) end
  return cjson.encode({ outcome = 'created', job_id = job_id, created_at = first[3], stream_id = first[4] })
end

-- 1. Idempotency: the same key with the same body is the same generation, whatever happened since.
if body_hash ~= '' then
  local previous = redis.call('GET', KEYS[7])
  if previous then
    local sep = string.find(previous, ':', 1, true)
    local previous_id, previous_hash = string.sub(previous, 1, sep - 1), string.sub(previous, sep + 1)
    if previous_hash ~= body_hash then
      return cjson.encode({ outcome = 'idempotency_conflict', job_id = previous_id })
    end
    if redis.call('EXISTS', key(ctx.job, previous_id)) == 1 then
      return answer('replayed', previous_id)
    end
    -- The job record outlived its retention: the key starts over.
  end
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  return cjson.encode({ outcome = 'no_account' })
end

-- Test keys (DESIGN decision 4): at most the quota of generations per UTC day and account, counted
-- on the account (test_day, test_used) when a job is written, so a refused request costs nothing.
local test_used = 0
if not livemode then
  local q = redis.call('HMGET', KEYS[1], 'test_quota', 'test_day', 'test_used')
  local quota = tonumber(q[1]) or plan_test_quota or 0
  if q[2] == day then test_used = tonumber(q[3]) or 0 end
  if test_used >= quota then
    return cjson.encode({ outcome = 'test_quota_exceeded', used = test_used, limit = quota })
  end
end

local function credits()
  return tonumber(redis.call('HGET', KEYS[1], 'credits')) or 0
end

-- The monthly allowance still to spend this month (`allowance_left`): it starts over when the
-- month changes and follows a plan change by the difference. A hold comes out of `credits` as
-- always, which may then go below zero by at most the allowance left; the settling scripts turn
-- allowance into credits as units are charged (record_usage in lua/prelude.lua), so the allowance is
-- spent first and a refund needs no bookkeeping of which part came from where.
local function allowance_left()
  local month = string.sub(day, 1, 7)
  local a = redis.call('HMGET', KEYS[1], 'allowance_month', 'allowance_granted', 'allowance_left')
  if a[1] ~= month then
    if allowance > 0 or a[1] then
      redis.call('HSET', KEYS[1], 'allowance_month', month, 'allowance_granted', allowance, 'allowance_left', allowance)
    end
    return allowance
  end
  local granted, left = tonumber(a[2]) or 0, tonumber(a[3]) or 0
  if granted ~= allowance then
    left = math.max(0, left + allowance - granted)
    redis.call('HSET', KEYS[1], 'allowance_granted', allowance, 'allowance_left', left)
  end
  return left
end

-- Writes the new job record, indexes it for the account's list and binds the idempotency key.
local function write_job(status, extra)
  redis.call('HSET', KEYS[4], unpack(fields))
  redis.call('HSET', KEYS[4], 'status', status, 'created_at', now, 'attempt', 0, unpack(extra))
  redis.call('EXPIRE', KEYS[4], retention)
  redis.call('ZADD', KEYS[3], now, job_id)
  -- The index never holds ids whose records expired long ago.
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - retention * 1000))
  redis.call('EXPIRE', KEYS[3], retention)
  if body_hash ~= '' then
    redis.call('SET', KEYS[7], job_id .. ':' .. body_hash, 'EX', idem_ttl)
  end
  if not livemode then redis.call('HSET', KEYS[1], 'test_day', day, 'test_used', test_used + 1) end
end

-- 2. Result cache: a seeded request identical to one that succeeded is answered from its outputs.
if fingerprint ~= '' then
  local done = redis.call('GET', KEYS[8])
  if done then
    local source = redis.call('HMGET', key(ctx.job, done), 'status', 'outputs')
    if source[1] == 'succeeded' and source[2] then
      if not livemode then
        -- Free: no credits, no ledger, no outbox.
        write_job('succeeded', { 'cached', '1', 'cache_source', done, 'outputs', source[2], 'started_at', now,
          'completed_at', now, 'units_reserved', 0, 'units', 0, 'inference_ms', 0 })
        webhook_event(job_id, 'completed', now)
        return answer('cached', job_id)
      end
      local cache_left = allowance_left()
      if credits() + cache_left < cache_units then
        return cjson.encode({ outcome = 'insufficient_credits', available = credits() + cache_left, needed = cache_units })
      end
      write_job('succeeded', { 'cached', '1', 'cache_source', done, 'outputs', source[2], 'started_at', now,
        'completed_at', now, 'units_reserved', 0, 'units', cache_units, 'inference_ms', 0 })
      -- Charged at once (nothing to hold); the ledger counts the job, the billing outbox only
      -- hears of it when there is something to bill.
      local account_id = redis.call('HGET', KEYS[4], 'account_id')
      local usage = string.gsub(string.gsub(ctx.usage_day, '{}', account_id, 1), '{}', day, 1)
      redis.call('HINCRBYFLOAT', usage, model .. ':units', cache_units)
      redis.call('HINCRBY', usage, model .. ':jobs', 1)
      if cache_units > 0 then
        -- Charged from the allowance first, the rest from the prepaid balance.
        local from_allowance = math.min(cache_units, cache_left)
        if from_allowance > 0 then redis.call('HINCRBYFLOAT', KEYS[1], 'allowance_left', -from_allowance) end
        redis.call('HINCRBYFLOAT', KEYS[1], 'credits', from_allowance - cache_units)
        redis.call('XADD', KEYS[10], '*', 'job', job_id, 'account', account_id, 'model', model,
          'units', cache_units, 'at', now)
      end
      webhook_event(job_id, 'completed', now) -- lua/webhook-events.lua, included above
      return answer('cached', job_id)
    end
  end
end

-- 3. Concurrency cap: queued + running jobs of the account.
local active = tonumber(redis.call('GET', KEYS[2])) or 0
if active >= concurrency_limit then
  return cjson.encode({ outcome = 'concurrency_limited', active = active, limit = concurrency_limit })
end

-- 4. Credits: held now, settled by the worker-side scripts when the job ends (a test key's job
-- holds nothing: its units are 0 and so is every settlement).
if livemode then
  local available = credits() + allowance_left()
  if available < units then
    return cjson.encode({ outcome = 'insufficient_credits', available = available, needed = units })
  end
  redis.call('HINCRBYFLOAT', KEYS[1], 'credits', -units)
  redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', units)
end
redis.call('INCR', KEYS[2])

-- 5. Coalescing: an identical seeded job is queued or running; follow it instead of queueing.
if fingerprint ~= '' then
  local leader = redis.call('GET', KEYS[9])
  if leader then
    local l = redis.call('HMGET', key(ctx.job, leader), 'status', 'started_at', 'progress_step', 'progress_total')
    if l[1] == 'queued' or l[1] == 'running' then
      local extra = { 'leader', leader, 'units_reserved', units, 'cached', '0' }
      if l[2] then
        extra[#extra + 1] = 'started_at'
        extra[#extra + 1] = l[2]
      end
      write_job(l[1], extra)
      local followers = key(ctx.followers, leader)
      redis.call('RPUSH', followers, job_id)
      redis.call('EXPIRE', followers, retention)
      -- Joining work that already started: the follower's start is now (a queued leader's lease
      -- records it for its followers).
      if l[1] == 'running' then webhook_event(job_id, 'start', now) end
      return answer('coalesced', job_id, { leader = leader })
    end
  end
end

-- 6. A new job at the back of its model's stream. units_reserved is written as the caller's own
-- text (not Lua's rendering of the number), so the record the caller rebuilds is exact.
write_job('queued', { 'units_reserved', ARGV[3], 'cached', '0' })
if redis.call('SADD', KEYS[6], model) == 1 or redis.call('EXISTS', KEYS[5]) == 0 then
  -- First job ever for this model (or its stream was deleted): create the consumer group.
  redis.pcall('XGROUP', 'CREATE', KEYS[5], ctx.group, '0', 'MKSTREAM')
end
local stream_id = redis.call('XADD', KEYS[5], '*', 'job', job_id, 'attempt', 1)
redis.call('HSET', KEYS[4], 'stream_id', stream_id)
if fingerprint ~= '' then
  redis.call('SET', KEYS[9], job_id, 'EX', retention)
end
return cjson.encode({ outcome = 'created', job_id = job_id, created_at = tostring(now), stream_id = stream_id })

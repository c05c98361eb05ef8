-- Upstash: global lock (the leader, account, queue and usage keys are named by the follower record).
-- Brings a coalesced follower up to date with its leader when the follower is read (the lazy half
-- of the coalescing contract in keys.ts; the worker-side scripts may also settle followers eagerly
-- when the leader ends, and then this finds nothing to do).
--   leader queued/running -> the follower mirrors its status and started_at
--   leader succeeded      -> follower succeeded with the leader's outputs, cached, charged the
--                            cache price it recorded at submit, the rest of its hold released
--   leader failed         -> follower failed with the leader's error, its hold released
--   leader canceled/gone  -> the follower does the work itself: it joins another live job with the
--                            same fingerprint, or is queued as a new leader
-- KEYS[1] job:{follower}
-- ARGV[1] JSON templates { job, followers, account, active, queue, fp_live, usage_day, outbox, group }
-- ARGV[2] UTC day (usage ledger)
-- Returns JSON { outcome = unchanged | following | succeeded | failed | requeued | joined, job }.
--- @include "webhook-events"
local ctx = cjson.decode(ARGV[1])
local day = ARGV[2]

local function key(template, ...)
  local parts, i = { ... }, 0
  return (string.gsub(template, '{}', function()
    i = i + 1
    return parts[i]
  end))
end

local function answer(outcome)
  return cjson.encode({ outcome = outcome, job = redis.call('HGETALL', KEYS[1]) })
end

local f = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
if not f.leader or f.leader == '' or (f.status ~= 'queued' and f.status ~= 'running') then
  return answer('unchanged')
end
local id = string.sub(KEYS[1], #key(ctx.job, '') + 1)
local leader_key = key(ctx.job, f.leader)
local l_status, l_started, l_completed, l_outputs, l_error = unpack(redis.call('HMGET', leader_key,
  'status', 'started_at', 'completed_at', 'outputs', 'error'))

if l_status == 'queued' or l_status == 'running' then
  if l_status ~= f.status then
    redis.call('HSET', KEYS[1], 'status', l_status)
    if l_started then redis.call('HSET', KEYS[1], 'started_at', l_started) end
    if l_status == 'running' then
      local t = redis.call('TIME')
      webhook_event(id, 'start', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
    end
    return answer('following')
  end
  return answer('unchanged')
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local acct = key(ctx.account, f.account_id)
local held = tonumber(f.units_reserved) or 0

local function free_slot()
  local active = key(ctx.active, f.account_id)
  if redis.call('DECR', active) < 0 then redis.call('SET', active, 0) end
  redis.call('LREM', key(ctx.followers, f.leader), 0, id)
end

if l_status == 'succeeded' then
  local units = math.min(tonumber(f.units_cache_hit) or 0, held)
  redis.call('HINCRBYFLOAT', acct, 'reserved', -held)
  if held - units ~= 0 then redis.call('HINCRBYFLOAT', acct, 'credits', held - units) end
  redis.call('HSET', KEYS[1], 'status', 'succeeded', 'cached', '1', 'cache_source', f.leader, 'outputs', l_outputs,
    'started_at', l_started or now, 'completed_at', l_completed or now, 'units', units, 'inference_ms', 0)
  redis.call('HDEL', KEYS[1], 'cancel_requested')
  -- A test key's follower (livemode "0") is free: neither usage nor billed (DESIGN decision 4).
  if f.livemode ~= '0' then
    local usage = key(ctx.usage_day, f.account_id, day)
    redis.call('HINCRBYFLOAT', usage, f.model .. ':units', units)
    redis.call('HINCRBY', usage, f.model .. ':jobs', 1)
  end
  if units > 0 then
    -- Paid from the monthly allowance first (as record_usage in lua/prelude.lua does).
    local from_allowance = math.min(units, tonumber(redis.call('HGET', acct, 'allowance_left')) or 0)
    if from_allowance > 0 then
      redis.call('HINCRBYFLOAT', acct, 'allowance_left', -from_allowance)
      redis.call('HINCRBYFLOAT', acct, 'credits', from_allowance)
    end
    redis.call('XADD', ctx.outbox, '*', 'job', id, 'account', f.account_id, 'model', f.model, 'units', units, 'at', now)
  end
  free_slot()
  webhook_event(id, 'completed', now) -- lua/webhook-events.lua, included above
  return answer('succeeded')
end

if l_status == 'failed' then
  if held > 0 then
    redis.call('HINCRBYFLOAT', acct, 'reserved', -held)
    redis.call('HINCRBYFLOAT', acct, 'credits', held)
  end
  redis.call('HSET', KEYS[1], 'status', 'failed', 'error', l_error or '{}', 'completed_at', now, 'units', 0)
  free_slot()
  webhook_event(id, 'completed', now)
  return answer('failed')
end

-- The leader was canceled (or its record expired): the work still has to be done for this follower.
redis.call('LREM', key(ctx.followers, f.leader), 0, id)
local live = key(ctx.fp_live, f.fingerprint or '')
local other = redis.call('GET', live)
if other and other ~= f.leader and other ~= id then
  local other_status = redis.call('HGET', key(ctx.job, other), 'status')
  if other_status == 'queued' or other_status == 'running' then
    redis.call('HSET', KEYS[1], 'leader', other, 'status', other_status)
    redis.call('RPUSH', key(ctx.followers, other), id)
    return answer('joined')
  end
end
redis.call('HDEL', KEYS[1], 'leader', 'started_at')
local stream_id = redis.call('XADD', key(ctx.queue, f.model), '*', 'job', id, 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', 'queued', 'stream_id', stream_id)
if f.fingerprint and f.fingerprint ~= '' then
  local ttl = redis.call('TTL', KEYS[1])
  redis.call('SET', live, id, 'EX', ttl > 0 and ttl or 86400)
end
return answer('requeued')

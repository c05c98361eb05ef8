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
-- ARGV[1] SCRIPT_CONTEXT (store/scripts/script-context.ts), read by lua/prelude.lua
-- ARGV[2] UTC day (usage ledger)
-- Returns JSON { outcome = unchanged | following | succeeded | failed | requeued | joined, job }.
--- @include "prelude"
local day = ARGV[2]

local function answer(outcome)
  return cjson.encode({ outcome = outcome, job = redis.call('HGETALL', KEYS[1]) })
end

local id = string.sub(KEYS[1], #key(CTX.job, '') + 1)
local f = load_job(id) or {}
if not f.leader or f.leader == '' or (f.status ~= 'queued' and f.status ~= 'running') then
  return answer('unchanged')
end
local leader_key = key(CTX.job, f.leader)
local l_status, l_started, l_completed, l_outputs, l_error = unpack(redis.call('HMGET', leader_key,
  'status', 'started_at', 'completed_at', 'outputs', 'error'))

if l_status == 'queued' or l_status == 'running' then
  if l_status ~= f.status then
    redis.call('HSET', KEYS[1], 'status', l_status)
    if l_started then redis.call('HSET', KEYS[1], 'started_at', l_started) end
    if l_status == 'running' then webhook_event(id, 'start', now_ms()) end
    return answer('following')
  end
  return answer('unchanged')
end

local now = now_ms()
local acct = key(CTX.account, f.account_id)
local held = tonumber(f.units_reserved) or 0

-- The follower ends: its concurrency slot back, out of its leader's list.
local function leave_leader()
  free_slot(f.account_id)
  redis.call('LREM', key(CTX.followers, f.leader), 0, id)
end

if l_status == 'succeeded' then
  local units = math.min(tonumber(f.units_cache_hit) or 0, held)
  redis.call('HINCRBYFLOAT', acct, 'reserved', -held)
  if held - units ~= 0 then redis.call('HINCRBYFLOAT', acct, 'credits', held - units) end
  redis.call('HSET', KEYS[1], 'status', 'succeeded', 'cached', '1', 'cache_source', f.leader, 'outputs', l_outputs,
    'started_at', l_started or now, 'completed_at', l_completed or now, 'units', units, 'inference_ms', 0)
  redis.call('HDEL', KEYS[1], 'cancel_requested')
  -- Paid from the monthly allowance first; a test key's follower (livemode "0") is free.
  record_usage(id, f.account_id, f.model, units, now, f.livemode, day)
  leave_leader()
  webhook_event(id, 'completed', now) -- lua/webhook-events.lua, included by the prelude
  return answer('succeeded')
end

if l_status == 'failed' then
  release_credits(f)
  redis.call('HSET', KEYS[1], 'status', 'failed', 'error', l_error or '{}', 'completed_at', now)
  leave_leader()
  webhook_event(id, 'completed', now)
  return answer('failed')
end

-- The leader was canceled (or its record expired): the work still has to be done for this follower.
redis.call('LREM', key(CTX.followers, f.leader), 0, id)
local live = key(CTX.fp_live, f.fingerprint or '')
local other = redis.call('GET', live)
if other and other ~= f.leader and other ~= id then
  local other_status = redis.call('HGET', key(CTX.job, other), 'status')
  if other_status == 'queued' or other_status == 'running' then
    redis.call('HSET', KEYS[1], 'leader', other, 'status', other_status)
    redis.call('RPUSH', key(CTX.followers, other), id)
    return answer('joined')
  end
end
redis.call('HDEL', KEYS[1], 'leader', 'started_at')
local stream_id = redis.call('XADD', key(CTX.queue, f.model), '*', 'job', id, 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', 'queued', 'stream_id', stream_id)
if f.fingerprint and f.fingerprint ~= '' then
  local ttl = redis.call('TTL', KEYS[1])
  redis.call('SET', live, id, 'EX', ttl > 0 and ttl or 86400)
end
return answer('requeued')

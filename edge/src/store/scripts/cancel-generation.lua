-- Upstash: global lock (the account, queue, followers and heir are named by the job record).
-- Cancel by the owner. A queued job ends at once (credits back, concurrency slot back, its stream
-- entry dropped so no worker leases it); a running one is flagged `cancel_requested` and ends when
-- its worker hears `cancel: true` at the next heartbeat. A coalesced follower has no work of its
-- own and ends at once. Canceling a leader never fails its followers: the first one is promoted
-- to do the work (keys.ts, coalescing contract).
-- KEYS[1] job:{id}
-- ARGV[1] JSON templates { job, followers, account, active, queue, fp_live, group }
-- ARGV[2] the caller's account id
-- Returns JSON { outcome, job = flat HGETALL }: outcome canceled | cancel_requested | unchanged
-- (already canceled) | invalid_state (succeeded or failed) | not_found (none, or another account's).
--- @include "webhook-events"
local ctx = cjson.decode(ARGV[1])
local account_id = ARGV[2]

local function key(template, ...)
  local parts, i = { ... }, 0
  return (string.gsub(template, '{}', function()
    i = i + 1
    return parts[i]
  end))
end

local function answer(outcome, job_key)
  return cjson.encode({ outcome = outcome, job = redis.call('HGETALL', job_key) })
end

local status, owner, leader, units_reserved, stream_id, model, fingerprint = unpack(redis.call('HMGET', KEYS[1],
  'status', 'account_id', 'leader', 'units_reserved', 'stream_id', 'model', 'fingerprint'))
if not status or owner ~= account_id then
  return cjson.encode({ outcome = 'not_found' })
end
if status == 'canceled' then return answer('unchanged', KEYS[1]) end
if status == 'succeeded' or status == 'failed' then return answer('invalid_state', KEYS[1]) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = string.sub(KEYS[1], #key(ctx.job, '') + 1)

-- The units held at submit go back; nothing is charged for canceled work.
local function end_canceled()
  local held = tonumber(units_reserved) or 0
  if held > 0 then
    local acct = key(ctx.account, account_id)
    redis.call('HINCRBYFLOAT', acct, 'reserved', -held)
    redis.call('HINCRBYFLOAT', acct, 'credits', held)
  end
  redis.call('HSET', KEYS[1], 'status', 'canceled', 'completed_at', now, 'units', 0)
  local active = key(ctx.active, account_id)
  if redis.call('DECR', active) < 0 then redis.call('SET', active, 0) end
  webhook_event(id, 'completed', now) -- lua/webhook-events.lua, included above
end

if leader and leader ~= '' then
  end_canceled()
  redis.call('LREM', key(ctx.followers, leader), 0, id)
  return answer('canceled', KEYS[1])
end

if status == 'running' then
  redis.call('HSET', KEYS[1], 'cancel_requested', '1')
  return answer('cancel_requested', KEYS[1])
end

-- Queued: out of the stream (acknowledged and deleted, so XLEN - pending stays the depth).
end_canceled()
local queue = key(ctx.queue, model)
if stream_id and stream_id ~= '' then
  redis.call('XACK', queue, ctx.group, stream_id)
  redis.call('XDEL', queue, stream_id)
end

local followers = key(ctx.followers, id)
local live = key(ctx.fp_live, fingerprint or '')
local heir = redis.call('LPOP', followers)
if heir then
  -- The first follower becomes the job that does the work; the others follow it now.
  local heir_key = key(ctx.job, heir)
  redis.call('HDEL', heir_key, 'leader')
  local heir_stream_id = redis.call('XADD', queue, '*', 'job', heir, 'attempt', 1)
  redis.call('HSET', heir_key, 'status', 'queued', 'stream_id', heir_stream_id)
  local rest = redis.call('LRANGE', followers, 0, -1)
  for _, follower in ipairs(rest) do
    redis.call('HSET', key(ctx.job, follower), 'leader', heir)
  end
  if #rest > 0 then
    redis.call('RENAME', followers, key(ctx.followers, heir))
  end
  if fingerprint and fingerprint ~= '' then
    local ttl = redis.call('TTL', heir_key)
    redis.call('SET', live, heir, 'EX', ttl > 0 and ttl or 86400)
  end
elseif fingerprint and fingerprint ~= '' and redis.call('GET', live) == id then
  redis.call('DEL', live)
end
redis.call('DEL', followers)
return answer('canceled', KEYS[1])

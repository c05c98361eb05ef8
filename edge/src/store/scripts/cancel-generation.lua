-- Upstash: global lock (the account, queue, followers and heir are named by the job record).
-- Cancel by the owner. A queued job ends at once (credits back, concurrency slot back, its stream
-- entry dropped so no worker leases it); a running one is flagged `cancel_requested` and ends when
-- its worker hears `cancel: true` at the next heartbeat. A coalesced follower has no work of its
-- own and ends at once. Canceling a leader never fails its followers: the first one is promoted
-- to do the work (keys.ts, coalescing contract).
-- KEYS[1] job:{id}
-- ARGV[1] SCRIPT_CONTEXT (store/scripts/script-context.ts), read by lua/prelude.lua
-- ARGV[2] the caller's account id
-- Returns JSON { outcome, job = flat HGETALL }: outcome canceled | cancel_requested | unchanged
-- (already canceled) | invalid_state (succeeded or failed) | not_found (none, or another account's).
--- @include "prelude"
local account_id = ARGV[2]

local function answer(outcome, job_key)
  return cjson.encode({ outcome = outcome, job = redis.call('HGETALL', job_key) })
end

local id = string.sub(KEYS[1], #key(CTX.job, '') + 1)
local job = load_job(id)
if not job or not job.status or job.account_id ~= account_id then
  return cjson.encode({ outcome = 'not_found' })
end
if job.status == 'canceled' then return answer('unchanged', KEYS[1]) end
if job.status == 'succeeded' or job.status == 'failed' then return answer('invalid_state', KEYS[1]) end

local now = now_ms()

-- The units held at submit go back; nothing is charged for canceled work.
local function end_canceled()
  release_credits(job)
  redis.call('HSET', KEYS[1], 'status', 'canceled', 'completed_at', now)
  free_slot(account_id)
  webhook_event(id, 'completed', now) -- lua/webhook-events.lua, included by the prelude
end

if job.leader and job.leader ~= '' then
  end_canceled()
  redis.call('LREM', key(CTX.followers, job.leader), 0, id)
  return answer('canceled', KEYS[1])
end

if job.status == 'running' then
  redis.call('HSET', KEYS[1], 'cancel_requested', '1')
  return answer('cancel_requested', KEYS[1])
end

-- Queued: out of the stream (acknowledged and deleted, so XLEN - pending stays the depth).
end_canceled()
drop_entry(job)

local fingerprint = job.fingerprint
local queue = key(CTX.queue, job.model)
local followers = key(CTX.followers, id)
local live = key(CTX.fp_live, fingerprint or '')
local heir = redis.call('LPOP', followers)
if heir then
  -- The first follower becomes the job that does the work; the others follow it now.
  local heir_key = key(CTX.job, heir)
  redis.call('HDEL', heir_key, 'leader')
  local heir_stream_id = redis.call('XADD', queue, '*', 'job', heir, 'attempt', 1)
  redis.call('HSET', heir_key, 'status', 'queued', 'stream_id', heir_stream_id)
  local rest = redis.call('LRANGE', followers, 0, -1)
  for _, follower in ipairs(rest) do
    redis.call('HSET', key(CTX.job, follower), 'leader', heir)
  end
  if #rest > 0 then
    redis.call('RENAME', followers, key(CTX.followers, heir))
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

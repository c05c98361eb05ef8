-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds).
-- Lease: hands a worker up to max_jobs jobs of the models it asked for, each with a fresh lease
-- token (fencing). Expired leases on those streams are reclaimed first (XAUTOCLAIM, min-idle =
-- lease TTL: heartbeats reset the idle time), so a dead worker's job goes to the next caller as
-- its next attempt, or ends when its attempts are spent. Entries whose job is gone, finished or
-- canceled while queued are acknowledged and dropped on the way.
--
-- A resent call (same lease tokens) gets the first call's reply, not a second set of leases.
-- Every call records, per model asked for, that a worker serves it now (models:seen): only the
-- queues of served models drive scaling (GET /queue desired_workers).
--
-- KEYS: leases, req:{first lease token}, models:seen, q:{model}...
-- ARGV: context, worker_id, max_jobs, lease_ttl_ms, token x max_jobs
--- @include "prelude"
--- @include "request-token"
local first = first_reply(KEYS[2])
if first then return first end
local worker_id = ARGV[2]
local max_jobs = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local now = now_ms()
local leased, ended = {}, {}

-- A worker serves these models now (what decides which queues drive scaling).
local served = {}
for i = 4, #KEYS do
  served[#served + 1] = string.sub(KEYS[i], #key(CTX.queue, '') + 1)
  served[#served + 1] = now
end
if #served > 0 then redis.call('HSET', KEYS[3], unpack(served)) end

local function grant(job)
  local token = ARGV[4 + #leased + 1]
  local jk = key(CTX.job, job.id)
  local attempt = redis.call('HINCRBY', jk, 'attempt', 1)
  local expires = now + ttl
  redis.call('HSET', jk, 'status', 'running', 'lease_token', token, 'lease_expires_at', expires,
    'worker_id', worker_id, 'progress_step', 0)
  -- The job's first start (not a retry, nor a released job leased again) is its start event, and
  -- that of the coalesced followers its work answers.
  if redis.call('HSETNX', jk, 'started_at', now) == 1 then
    webhook_event(job.id, 'start', now)
    for _, follower in ipairs(redis.call('LRANGE', key(CTX.followers, job.id), 0, -1)) do
      webhook_event(follower, 'start', now)
    end
  end
  redis.call('ZADD', KEYS[1], expires, job.id)
  leased[#leased + 1] = { job_id = job.id, lease_token = token, lease_expires_at = expires, attempt = attempt,
    account_id = job.account_id, input = job.input, queued_at = tonumber(job.created_at) }
end

local function discard(q, id)
  redis.call('XACK', q, CTX.group, id)
  redis.call('XDEL', q, id)
end

-- 1. Reclaim: entries idle for a whole lease TTL belong to workers that stopped heartbeating.
for i = 4, #KEYS do
  if #leased >= max_jobs then break end
  local reply = redis.pcall('XAUTOCLAIM', KEYS[i], CTX.group, worker_id, ttl, '0-0', 'COUNT', max_jobs - #leased)
  if type(reply) == 'table' and not reply.err then
    for _, entry in ipairs(reply[2]) do
      local id, fields = entry[1], entry[2]
      local job = load_job(stream_field(fields, 'job') or '')
      if job == nil or job.stream_id ~= id or job.status ~= 'running' then
        discard(KEYS[i], id)
      elseif (tonumber(job.lease_expires_at) or 0) <= now then
        local outcome = end_expired(job, now)
        if outcome then ended[#ended + 1] = { job_id = job.id, status = outcome } else grant(job) end
      end
      -- else: the lease is still valid (a heartbeat raced the claim); the holder keeps it.
    end
  end
end

-- 2. New entries, model by model in the order the worker gave.
for i = 4, #KEYS do
  local rounds = 0
  while #leased < max_jobs and rounds < 16 do
    rounds = rounds + 1
    local reply = redis.pcall('XREADGROUP', 'GROUP', CTX.group, worker_id, 'COUNT', max_jobs - #leased,
      'STREAMS', KEYS[i], '>')
    -- no stream or group yet (nothing ever submitted for the model), or nothing new
    if type(reply) ~= 'table' or reply.err or reply[1] == nil then break end
    local entries = reply[1][2]
    if #entries == 0 then break end
    for _, entry in ipairs(entries) do
      local id = entry[1]
      local job = load_job(stream_field(entry[2], 'job') or '')
      if job ~= nil and job.status == 'queued' and job.stream_id == id then
        grant(job)
      else
        discard(KEYS[i], id)
      end
    end
  end
end

local reply = cjson.encode({ now = now, jobs = leased, ended = ended })
-- An empty answer changed nothing; remembering it would cost every idle poll a write.
if #leased > 0 or #ended > 0 then remember_reply(KEYS[2], reply) end
return reply

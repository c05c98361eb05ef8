-- Upstash: global lock (every in-flight job's record and followers, and the counters of their accounts).
-- Active recount (cron): acct:{a}:active is the account's queued + running jobs, what its
-- concurrency cap is checked against. Every transition keeps it in step in the same script; this
-- puts it right should anything ever leave it wrong (a bug, a hand edit, a job record gone while in
-- flight), so no leak outlasts a cron period: too high, the account would be refused for good; too
-- low, it could run past its cap. The truth is what is in flight: leased jobs (`leases`), jobs
-- waiting in a queue (entries after the group's last-delivered id) and the coalesced followers of
-- both, each checked against its record (status queued or running). Every account with a job in
-- flight is set to its count; a batch of the rest (SSCAN over `accounts`, the cursor kept in
-- KEYS[4]) is set to 0.
--
-- KEYS: leases, models:queued, accounts, recount cursor   ARGV: context, accounts per run
-- Returns JSON { in_flight, corrected = [{ account_id, was, now }] }.
--- @include "prelude"
local batch = tonumber(ARGV[2])
local counts, seen, in_flight = {}, {}, 0

local function brief(id)
  local f = redis.call('HMGET', key(CTX.job, id), 'status', 'account_id', 'stream_id', 'leader')
  if not f[1] or (f[1] ~= 'queued' and f[1] ~= 'running') or not f[2] then return nil end
  return { id = id, account_id = f[2], stream_id = f[3], leader = f[4] }
end

local function count(job)
  seen[job.id] = true
  in_flight = in_flight + 1
  counts[job.account_id] = (counts[job.account_id] or 0) + 1
end

local function count_with_followers(job)
  if job == nil or seen[job.id] then return end
  count(job)
  for _, id in ipairs(redis.call('LRANGE', key(CTX.followers, job.id), 0, -1)) do
    local f = brief(id)
    if f and f.leader == job.id and not seen[id] then count(f) end
  end
end

for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do count_with_followers(brief(id)) end
for _, model in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local q = key(CTX.queue, model)
  local group = queue_group(q)
  if group then
    for _, entry in ipairs(redis.call('XRANGE', q, '(' .. group.last_delivered, '+')) do
      local job = brief(stream_field(entry[2], 'job') or '')
      if job and job.stream_id == entry[1] then count_with_followers(job) end
    end
  end
end

local corrected = {}
local function set_active(account_id, n)
  local k = key(CTX.active, account_id)
  local was = tonumber(redis.call('GET', k)) or 0
  if was ~= n then
    redis.call('SET', k, n)
    corrected[#corrected + 1] = { account_id = account_id, was = was, now = n }
  end
end
for account_id, n in pairs(counts) do set_active(account_id, n) end
local scan = redis.call('SSCAN', KEYS[3], redis.call('GET', KEYS[4]) or '0', 'COUNT', batch)
redis.call('SET', KEYS[4], scan[1])
for _, account_id in ipairs(scan[2]) do
  if not counts[account_id] then set_active(account_id, 0) end
end
return cjson.encode({ in_flight = in_flight, corrected = corrected })

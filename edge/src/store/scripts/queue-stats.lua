-- Upstash: global lock (one stream per model of models:queued).
-- Queue metrics for every model that ever had a queue, in one round trip (KEDA polls this).
-- Finished entries are always acknowledged and deleted together, so a stream holds only waiting
-- and leased entries: depth = length - pending. The oldest waiting entry is the first one after
-- the group's last-delivered id; its id carries its enqueue time.
--
-- With each model, when a worker last asked to lease it (models:seen, written by lease-jobs), and
-- the latest such time of any model, so the caller can leave models no worker serves out of the
-- scaling metric.
--
-- KEYS: models:queued, models:seen   ARGV: context
--- @include "prelude"
local now = now_ms()
local out = {}
local seen, latest_seen = {}, nil
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do
  local at = tonumber(flat[i + 1])
  seen[flat[i]] = at
  if at and (latest_seen == nil or at > latest_seen) then latest_seen = at end
end
for _, model in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local q = key(CTX.queue, model)
  local length = redis.call('XLEN', q)
  local pending, oldest = 0, nil
  local group = queue_group(q)
  if group then
    pending = group.pending
    local next = redis.call('XRANGE', q, '(' .. group.last_delivered, '+', 'COUNT', 1)
    if #next > 0 then oldest = tonumber(string.match(next[1][1], '^(%d+)')) end
  end
  out[#out + 1] = { model = model, depth = math.max(length - pending, 0), leased = pending,
    oldest_age_ms = oldest and math.max(now - oldest, 0) or 0, seen_at = seen[model] }
end
return cjson.encode({ now = now, models = out, latest_seen = latest_seen })

-- Queue metrics for every model that ever had a queue, in one round trip (KEDA polls this).
-- Finished entries are always acknowledged and deleted together, so a stream holds only waiting
-- and leased entries: depth = length - pending. The oldest waiting entry is the first one after
-- the group's last-delivered id; its id carries its enqueue time.
--
-- KEYS: models:queued   ARGV: context
--- @include "prelude"
local now = now_ms()
local out = {}
for _, model in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local q = key(CTX.queue, model)
  local length = redis.call('XLEN', q)
  local pending, oldest = 0, nil
  local groups = redis.pcall('XINFO', 'GROUPS', q)
  if type(groups) == 'table' and not groups.err then
    for _, g in ipairs(groups) do
      local info = {}
      for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
      if info.name == CTX.group then
        pending = info.pending
        local next = redis.call('XRANGE', q, '(' .. info['last-delivered-id'], '+', 'COUNT', 1)
        if #next > 0 then oldest = tonumber(string.match(next[1][1], '^(%d+)')) end
      end
    end
  end
  out[#out + 1] = { model = model, depth = math.max(length - pending, 0), leased = pending,
    oldest_age_ms = oldest and math.max(now - oldest, 0) or 0 }
end
return cjson.encode({ now = now, models = out })

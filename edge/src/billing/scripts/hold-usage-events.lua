#!lua flags=allow-key-locking
-- Moves usage events Stripe cannot take as they are (the account has no Stripe customer, or
-- Stripe rejected the event for good) from the outbox to the held stream, with the reason. The
-- move is one script, so an event is always in exactly one of the two streams: never dropped,
-- and no longer blocking the ones behind it. replay-held-usage.lua moves them back.
-- KEYS[1] outbox:usage  KEYS[2] outbox:usage:held
-- ARGV[1] consumer group  ARGV[2] JSON [{ id, reason }]
-- Returns JSON { count } of events moved.
local group, items = ARGV[1], cjson.decode(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local moved = 0
for _, item in ipairs(items) do
  local found = redis.call('XRANGE', KEYS[1], item.id, item.id)
  if found[1] then
    local fields = found[1][2]
    fields[#fields + 1] = 'reason'
    fields[#fields + 1] = item.reason
    fields[#fields + 1] = 'outbox_id'
    fields[#fields + 1] = item.id
    fields[#fields + 1] = 'held_at'
    fields[#fields + 1] = now
    redis.call('XADD', KEYS[2], '*', unpack(fields))
    moved = moved + 1
  end
  redis.call('XACK', KEYS[1], group, item.id)
  redis.call('XDEL', KEYS[1], item.id)
end
return cjson.encode({ count = moved })

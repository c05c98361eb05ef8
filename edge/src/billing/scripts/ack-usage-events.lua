#!lua flags=allow-key-locking
-- Acknowledges usage events Stripe accepted: out of the group's pending list and out of the
-- stream, so XLEN is the backlog still to report. Called only after Stripe's answer arrived.
-- KEYS[1] outbox:usage
-- ARGV[1] consumer group  ARGV[2..] entry ids
-- Returns JSON { count } of entries deleted.
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return cjson.encode({ count = 0 }) end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
return cjson.encode({ count = redis.call('XDEL', KEYS[1], unpack(ids)) })

#!lua flags=allow-key-locking
-- Counts one failed API-key authentication from a client address in a fixed window: the one
-- piece of state an unknown key may cost (per address, never per key).
-- KEYS[1] authfail:{address}
-- ARGV[1] window in seconds
-- Returns JSON { count, ttl_ms }: failures in the current window and the ms until it ends.
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return cjson.encode({ count = count, ttl_ms = redis.call('PTTL', KEYS[1]) })

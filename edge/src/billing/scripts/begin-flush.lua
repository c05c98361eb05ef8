#!lua flags=allow-key-locking
-- Starts a meter flush: refuses while an earlier failure's backoff runs (unless forced) or while
-- another flush holds the lock, else takes the lock for `lock ms`. One flush at a time is what
-- lets claim-usage-events.lua take back every unacknowledged entry at once; a crashed flush's lock
-- simply runs out.
-- KEYS[1] billing:flush
-- ARGV[1] lock token  ARGV[2] lock ms  ARGV[3] force ("1" ignores the backoff)
-- Returns JSON { outcome = locked | busy | backoff, retry_at?, failures }.
local token, lock_ms, force = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder, lock_until, retry_at, failures = unpack(redis.call('HMGET', KEYS[1],
  'lock_token', 'lock_until', 'retry_at', 'failures'))
failures = tonumber(failures) or 0
retry_at = tonumber(retry_at) or 0
if not force and retry_at > now then
  return cjson.encode({ outcome = 'backoff', retry_at = retry_at, failures = failures })
end
if holder and (tonumber(lock_until) or 0) > now then
  return cjson.encode({ outcome = 'busy', failures = failures })
end
redis.call('HSET', KEYS[1], 'lock_token', token, 'lock_until', now + lock_ms)
return cjson.encode({ outcome = 'locked', failures = failures })

#!lua flags=allow-key-locking
-- Ends a meter flush: releases the lock if this flush still holds it, and records how it went.
-- A flush that reached Stripe fine clears the backoff; one stopped by a failure Stripe may recover
-- from (network, 5xx, 429, timeout) backs off exponentially: base * 2^(failures - 1), capped, with
-- +-20 % jitter so many edges do not retry in step.
-- KEYS[1] billing:flush
-- ARGV[1] lock token  ARGV[2] "ok" | "failed"  ARGV[3] base ms  ARGV[4] max ms
-- ARGV[5] error text (failed)  ARGV[6] jitter draw in [0, 1)
-- Returns JSON { failures, retry_at }.
local token, outcome = ARGV[1], ARGV[2]
local base, cap, err, jitter = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('HGET', KEYS[1], 'lock_token') == token then
  redis.call('HDEL', KEYS[1], 'lock_token', 'lock_until')
end
if outcome == 'ok' then
  redis.call('HDEL', KEYS[1], 'failures', 'retry_at', 'last_error')
  redis.call('HSET', KEYS[1], 'last_success_at', now)
  return cjson.encode({ failures = 0, retry_at = 0 })
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local delay = math.min(base * 2 ^ math.min(failures - 1, 30), cap) * (0.8 + 0.4 * jitter)
local retry_at = now + math.floor(delay)
redis.call('HSET', KEYS[1], 'retry_at', retry_at, 'last_error', err, 'last_failure_at', now)
return cjson.encode({ failures = failures, retry_at = retry_at })

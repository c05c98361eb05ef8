#!lua flags=allow-key-locking
-- Ends a meter flush: releases the lock if this flush still holds it, and records how it went.
-- A flush that reached Stripe fine clears the backoff; one stopped by a failure Stripe may recover
-- from (network, 5xx, 429, timeout) backs off exponentially: base * 2^(failures - 1), capped, with
-- +-20 % jitter so many edges do not retry in step.
-- In the same call (no extra round trip): the settle time of the oldest event still in the outbox
-- (the billing lag the flush alerts on), and held events older than Stripe accepts (35 days:
-- a replay could never be metered) trimmed, a bounded number per flush, counted in `held_trimmed`.
-- KEYS[1] billing:flush  KEYS[2] outbox:usage  KEYS[3] outbox:usage:held
-- ARGV[1] lock token  ARGV[2] "ok" | "failed"  ARGV[3] base ms  ARGV[4] max ms
-- ARGV[5] error text (failed)  ARGV[6] jitter draw in [0, 1)  ARGV[7] held max age ms
-- ARGV[8] most held entries trimmed
-- Returns JSON { failures, retry_at, oldest_at (0 = outbox empty), held_trimmed }.
local token, outcome = ARGV[1], ARGV[2]
local base, cap, err, jitter = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local held_max_age, trim_limit = tonumber(ARGV[7]), tonumber(ARGV[8])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('HGET', KEYS[1], 'lock_token') == token then
  redis.call('HDEL', KEYS[1], 'lock_token', 'lock_until')
end

-- Stream ids start with the ms they were added: settle time for the outbox, hold time for held.
local oldest_at = 0
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
if first then
  oldest_at = tonumber(string.match(first[1], '^(%d+)'))
  for i = 1, #first[2], 2 do
    if first[2][i] == 'at' then oldest_at = tonumber(first[2][i + 1]) or oldest_at end
  end
end
redis.call('HSET', KEYS[1], 'oldest_unsent_at', oldest_at)
local trimmed = 0
local old = redis.call('XRANGE', KEYS[3], '-', tostring(now - held_max_age), 'COUNT', trim_limit)
if #old > 0 then
  local ids = {}
  for _, entry in ipairs(old) do ids[#ids + 1] = entry[1] end
  trimmed = redis.call('XDEL', KEYS[3], unpack(ids))
  redis.call('HINCRBY', KEYS[1], 'held_trimmed', trimmed)
end

if outcome == 'ok' then
  redis.call('HDEL', KEYS[1], 'failures', 'retry_at', 'last_error')
  redis.call('HSET', KEYS[1], 'last_success_at', now)
  return cjson.encode({ failures = 0, retry_at = 0, oldest_at = oldest_at, held_trimmed = trimmed })
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local delay = math.min(base * 2 ^ math.min(failures - 1, 30), cap) * (0.8 + 0.4 * jitter)
local retry_at = now + math.floor(delay)
redis.call('HSET', KEYS[1], 'retry_at', retry_at, 'last_error', err, 'last_failure_at', now)
return cjson.encode({ failures = failures, retry_at = retry_at, oldest_at = oldest_at, held_trimmed = trimmed })

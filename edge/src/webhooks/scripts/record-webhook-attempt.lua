-- Upstash: global lock (the delivery, its log and its job's other delivery are built from the delivery id).
-- Record: the result of one claimed send goes into the delivery's log, and the delivery is either
-- due again at its next retry, or done (`delivered`, or `failed` when the receiver said 410 or the
-- schedule ran out). Only the claim's holder may record (the token): a sender whose hold ran out
-- and whose delivery was claimed again changes nothing. When a start delivery is done, the job's
-- completed delivery (held back behind it) becomes due at once.
--
-- KEYS: webhooks:due   ARGV: delivery id, claim token, outcome (delivered | retry | failed),
--                            at ms, next_at ms (retry), log entry JSON, status code ('' = none)
--- @include "keys"
local id, token, outcome, at, next_at, entry, status = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]),
  tonumber(ARGV[5]), ARGV[6], ARGV[7]
local dk = webhook_delivery_key(id)
local holder, job_id, event = unpack(redis.call('HMGET', dk, 'claim_token', 'job_id', 'event'))
if not holder or holder ~= token then return cjson.encode({ stale = true }) end

local attempts = redis.call('HINCRBY', dk, 'attempts', 1)
redis.call('HSET', dk, 'last_attempt_at', at, 'last_status', status)
redis.call('HDEL', dk, 'claim_token', 'claimed_until')
local lk = webhook_log_key(id)
redis.call('RPUSH', lk, entry)
local ttl = redis.call('PTTL', dk)
if ttl > 0 then redis.call('PEXPIRE', lk, ttl) end

if outcome == 'retry' then
  redis.call('HSET', dk, 'next_at', next_at)
  redis.call('ZADD', KEYS[1], next_at, id)
else
  redis.call('HSET', dk, 'state', outcome, 'next_at', '')
  redis.call('ZREM', KEYS[1], id)
  if event == 'start' then
    local completed_id = job_id .. ':completed'
    local state, claimed_until = unpack(redis.call('HMGET', webhook_delivery_key(completed_id), 'state', 'claimed_until'))
    if state == 'pending' and not claimed_until then
      local due = tonumber(redis.call('ZSCORE', KEYS[1], completed_id))
      if due and due > at then redis.call('ZADD', KEYS[1], at, completed_id) end
    end
  end
end
return cjson.encode({ attempts = attempts })

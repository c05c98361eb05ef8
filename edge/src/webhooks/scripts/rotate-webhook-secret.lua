#!lua flags=allow-key-locking
-- Rotate: the account's current signing secret becomes the previous one, which keeps signing (a
-- second signature in `webhook-signature`) until `overlap_ms` from now, and the new one becomes
-- current. Atomic, so two rotations at once never lose the secret receivers still verify with.
--
-- KEYS: acct:{id}   ARGV: new secret, now ms, overlap ms
if redis.call('EXISTS', KEYS[1]) == 0 then return cjson.encode({ no_account = true }) end
local secret, now, overlap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local current, prev_until = unpack(redis.call('HMGET', KEYS[1], 'webhook_secret', 'webhook_secret_prev_until'))
-- A resend of this call (the new secret is fresh for each rotation, so it is the call's token):
-- rotating again would make the new secret its own previous one and drop the old one receivers
-- still verify with. Answer what the first run answered.
if current == secret then
  return cjson.encode({ secret = secret, previous_until = tonumber(prev_until) })
end
local previous_until = nil
if current then
  previous_until = now + overlap
  redis.call('HSET', KEYS[1], 'webhook_secret_prev', current, 'webhook_secret_prev_until', previous_until)
end
redis.call('HSET', KEYS[1], 'webhook_secret', secret)
return cjson.encode({ secret = secret, previous_until = previous_until })

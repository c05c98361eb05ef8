-- Upstash: global lock (the key record is named by keyid:{id}).
-- Revokes an API key by id. The record is kept (marked) rather than deleted so a revoked key
-- answers "revoked", not "unknown", and the audit trail survives.
-- KEYS[1] keyid:{keyId}   ARGV[1] api key record prefix ("apikey:")   ARGV[2] now ms
-- Returns JSON { ok }: false when no such key id exists.
local hash = redis.call('GET', KEYS[1])
if not hash then
  return cjson.encode({ ok = false })
end
redis.call('HSET', ARGV[1] .. hash, 'revoked', '1', 'revoked_at', ARGV[2])
return cjson.encode({ ok = true })

#!lua flags=allow-key-locking
-- Stores a new API key for an existing account, atomically: the key record, the id -> hash
-- pointer used for revocation, and the account's key index.
-- KEYS[1] acct:{accountId}   KEYS[2] apikey:{hash}   KEYS[3] keyid:{keyId}   KEYS[4] acct:{accountId}:keys
-- ARGV[1] account id  ARGV[2] key id  ARGV[3] key hash  ARGV[4] mode  ARGV[5] name  ARGV[6] created ms
-- Returns JSON { ok }: false when the account does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return cjson.encode({ ok = false })
end
redis.call('HSET', KEYS[2], 'account_id', ARGV[1], 'key_id', ARGV[2], 'mode', ARGV[4], 'name', ARGV[5],
  'created_at', ARGV[6])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[2])
return cjson.encode({ ok = true })

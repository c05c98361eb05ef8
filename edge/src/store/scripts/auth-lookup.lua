-- Upstash: global lock (the account is named by the key record).
-- Resolves an API key hash to its key record and its account's plan and limit overrides in one
-- round trip (it travels in the same REST pipeline as the rate limiter's EVALSHA).
-- KEYS[1] apikey:{sha256(key)}
-- ARGV[1] account key prefix ("acct:")
-- Returns JSON: {} for an unknown key, else
--   { account_id, key_id, mode, revoked, plan, rpm_limit, concurrency_limit, safety_checker }
--   ("" when absent).
local k = redis.call('HMGET', KEYS[1], 'account_id', 'key_id', 'mode', 'revoked')
if not k[1] then
  return cjson.encode({})
end
local a = redis.call('HMGET', ARGV[1] .. k[1], 'plan', 'rpm_limit', 'concurrency_limit', 'safety_checker')
return cjson.encode({
  account_id = k[1],
  key_id = k[2] or '',
  mode = k[3] or 'live',
  revoked = k[4] or '',
  plan = a[1] or '',
  rpm_limit = a[2] or '',
  concurrency_limit = a[3] or '',
  safety_checker = a[4] or '',
})

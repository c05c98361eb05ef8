-- Resolves an API key hash to its key record and its account's plan and limit overrides,
-- in one round trip (it travels in the same pipeline as the rate limiter's EVALSHA).
-- KEYS[1] apikey:{sha256(key)}
-- ARGV[1] account key prefix ("acct:")
-- Returns nil for an unknown key, else
--   { account_id, key_id, mode, revoked, plan, rpm_limit, concurrency_limit } ("" when absent).
local k = redis.call('HMGET', KEYS[1], 'account_id', 'key_id', 'mode', 'revoked')
if not k[1] then
  return nil
end
local a = redis.call('HMGET', ARGV[1] .. k[1], 'plan', 'rpm_limit', 'concurrency_limit')
return { k[1], k[2] or '', k[3] or 'live', k[4] or '', a[1] or '', a[2] or '', a[3] or '' }

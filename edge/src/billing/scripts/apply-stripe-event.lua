-- Upstash: global lock (the account is named by the Stripe customer link).
-- Applies one verified Stripe event exactly once. The marker stripe:event:{id} is written last,
-- in the same script as every change it guards, and only when the event applied: a replayed (or
-- concurrently redelivered) event that applied finds it and changes nothing, while one that could
-- not apply (no account yet) leaves no marker, so Stripe's retry (or a resend) applies it later.
--   account: the one named by the event (metadata.ldm_account_id, checked by the caller to be an
--            account id), else the one linked to the event's customer; none or unknown ->
--            outcome no_account, nothing written
--   customer: linked to the account (both directions) unless it is linked to another account
--            (outcome customer_conflict: credits still go to the named account, the link is not moved)
--   credits: added to the prepaid balance, and the grant recorded on the event marker
-- KEYS[1] stripe:event:{id}
-- ARGV[1] account id from the event ('' = none)  ARGV[2] Stripe customer id ('' = none)
-- ARGV[3] credits to add ('0' = none)  ARGV[4] event type  ARGV[5] marker TTL s
-- Returns JSON { outcome = applied | duplicate | no_account | customer_conflict, account_id?, credits }.
--- @include "keys"
local account_id, customer, credits = ARGV[1], ARGV[2], tonumber(ARGV[3])
local event_type, ttl = ARGV[4], tonumber(ARGV[5])

local seen = redis.call('GET', KEYS[1])
if seen then
  local result = cjson.decode(seen)
  result.outcome = 'duplicate'
  return cjson.encode(result)
end

if account_id == '' and customer ~= '' then
  account_id = redis.call('GET', stripe_customer_key(customer)) or ''
end
if account_id == '' or redis.call('EXISTS', account_key(account_id)) == 0 then
  return cjson.encode({ outcome = 'no_account', credits = 0 })
end

local t = redis.call('TIME')
local result = { type = event_type, at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
local acct = account_key(account_id)
result.outcome, result.account_id, result.credits = 'applied', account_id, 0
if customer ~= '' then
  local linked = redis.call('GET', stripe_customer_key(customer))
  if linked and linked ~= account_id then
    result.outcome = 'customer_conflict'
  else
    local old = redis.call('HGET', acct, 'stripe_customer')
    if old and old ~= '' and old ~= customer and redis.call('GET', stripe_customer_key(old)) == account_id then
      redis.call('DEL', stripe_customer_key(old))
    end
    redis.call('HSET', acct, 'stripe_customer', customer)
    redis.call('SET', stripe_customer_key(customer), account_id)
    result.customer = customer
  end
end
if credits > 0 then
  redis.call('HINCRBYFLOAT', acct, 'credits', credits)
  result.credits = credits
end
-- Last: a command above that failed (Redis does not roll a script back) leaves no marker, so the
-- retried event runs again rather than being answered as a duplicate of what never happened.
redis.call('SET', KEYS[1], cjson.encode(result), 'EX', ttl)
return cjson.encode(result)

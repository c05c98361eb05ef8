-- Upstash: global lock (the account is named by the Stripe customer link).
-- Applies one verified Stripe event exactly once: the SET NX on stripe:event:{id} and every
-- change it guards happen in this one script, so a replayed (or concurrently redelivered) event
-- finds the marker and changes nothing.
--   account: the one named by the event (metadata.ldm_account_id), else the one linked to the
--            event's customer; none -> outcome no_account (marked, so a replay stays a no-op)
--   customer: linked to the account (both directions) unless it is linked to another account
--            (outcome customer_conflict: credits still go to the named account, the link is not moved)
--   credits: added to the prepaid balance, and the grant recorded on the event marker
-- KEYS[1] stripe:event:{id}
-- ARGV[1] JSON templates { account, customer }  ARGV[2] account id from the event ('' = none)
-- ARGV[3] Stripe customer id ('' = none)  ARGV[4] credits to add ('0' = none)
-- ARGV[5] event type  ARGV[6] marker TTL s
-- Returns JSON { outcome = applied | duplicate | no_account | customer_conflict, account_id?, credits }.
local ctx = cjson.decode(ARGV[1])
local account_id, customer, credits = ARGV[2], ARGV[3], tonumber(ARGV[4])
local event_type, ttl = ARGV[5], tonumber(ARGV[6])

local function key(template, id)
  return (string.gsub(template, '{}', id, 1))
end

-- Claimed first with SET NX; the marker is then overwritten with what the event did.
if not redis.call('SET', KEYS[1], '{}', 'NX', 'EX', ttl) then
  local result = cjson.decode(redis.call('GET', KEYS[1]))
  result.outcome = 'duplicate'
  return cjson.encode(result)
end

if account_id == '' and customer ~= '' then
  account_id = redis.call('GET', key(ctx.customer, customer)) or ''
end
local t = redis.call('TIME')
local result = { type = event_type, at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
if account_id == '' or redis.call('EXISTS', key(ctx.account, account_id)) == 0 then
  result.outcome, result.credits = 'no_account', 0
  redis.call('SET', KEYS[1], cjson.encode(result), 'EX', ttl)
  return cjson.encode(result)
end

local acct = key(ctx.account, account_id)
result.outcome, result.account_id, result.credits = 'applied', account_id, 0
if customer ~= '' then
  local linked = redis.call('GET', key(ctx.customer, customer))
  if linked and linked ~= account_id then
    result.outcome = 'customer_conflict'
  else
    local old = redis.call('HGET', acct, 'stripe_customer')
    if old and old ~= '' and old ~= customer and redis.call('GET', key(ctx.customer, old)) == account_id then
      redis.call('DEL', key(ctx.customer, old))
    end
    redis.call('HSET', acct, 'stripe_customer', customer)
    redis.call('SET', key(ctx.customer, customer), account_id)
    result.customer = customer
  end
end
if credits > 0 then
  redis.call('HINCRBYFLOAT', acct, 'credits', credits)
  result.credits = credits
end
redis.call('SET', KEYS[1], cjson.encode(result), 'EX', ttl)
return cjson.encode(result)

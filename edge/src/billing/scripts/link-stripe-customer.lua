-- Upstash: global lock (the customer links are named by the customer ids it is given or reads).
-- Links (or with '' unlinks) an account and a Stripe customer in both directions: acct:{a}
-- stripe_customer for the meter flush, stripe:customer:{cus} for webhooks that only name the
-- customer. A customer already linked to another account is refused, so usage and payments of
-- one customer can never land on two accounts.
-- KEYS[1] acct:{a}
-- ARGV[1] JSON templates { customer }  ARGV[2] account id  ARGV[3] customer id ('' = unlink)
-- Returns JSON { outcome = linked | unlinked | not_found | conflict, account_id? }.
local ctx = cjson.decode(ARGV[1])
local account_id, customer = ARGV[2], ARGV[3]
local function key(template, id)
  return (string.gsub(template, '{}', id, 1))
end
if redis.call('EXISTS', KEYS[1]) == 0 then return cjson.encode({ outcome = 'not_found' }) end
if customer ~= '' then
  local linked = redis.call('GET', key(ctx.customer, customer))
  if linked and linked ~= account_id then
    return cjson.encode({ outcome = 'conflict', account_id = linked })
  end
end
local old = redis.call('HGET', KEYS[1], 'stripe_customer')
if old and old ~= '' and old ~= customer and redis.call('GET', key(ctx.customer, old)) == account_id then
  redis.call('DEL', key(ctx.customer, old))
end
if customer == '' then
  redis.call('HDEL', KEYS[1], 'stripe_customer')
  return cjson.encode({ outcome = 'unlinked' })
end
redis.call('HSET', KEYS[1], 'stripe_customer', customer)
redis.call('SET', key(ctx.customer, customer), account_id)
return cjson.encode({ outcome = 'linked' })

-- Upstash: global lock (the deliveries are named by webhooks:due).
-- Claim: takes up to `limit` due deliveries out of `webhooks:due` for one sender. A claimed
-- delivery's score moves `hold_ms` into the future and it carries the claim token, so a second
-- cron (or a request's waitUntil) running at the same moment never sends the same attempt; if
-- the sender dies, the delivery is due again when the hold ends.
--
-- Ordering: a job's `completed` delivery is not claimed while its `start` delivery is still
-- pending; it is moved just behind the start's due time (record-webhook-attempt pulls it forward
-- again as soon as the start is delivered or given up).
--
-- Mode `fresh` claims only first attempts (what a request sends right after the event it caused);
-- retries are left to the cron (mode `due`).
--
-- KEYS: webhooks:due   ARGV: now ms ('' = Redis clock), mode, limit, hold_ms, claim token
--- @include "keys"
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local fresh_only, limit, hold, token = ARGV[2] == 'fresh', tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local claimed = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit * 4)
for _, id in ipairs(ids) do
  if #claimed >= limit then break end
  local dk = webhook_delivery_key(id)
  local job_id, account_id, event, url, webhook_id, attempts, state = unpack(redis.call('HMGET', dk,
    'job_id', 'account_id', 'event', 'url', 'webhook_id', 'attempts', 'state'))
  attempts = tonumber(attempts) or 0
  if state ~= 'pending' then
    redis.call('ZREM', KEYS[1], id)
  elseif not (fresh_only and attempts > 0) then
    local blocked = false
    if event == 'completed' then
      local start_id = job_id .. ':start'
      if redis.call('HGET', webhook_delivery_key(start_id), 'state') == 'pending' then
        local start_due = tonumber(redis.call('ZSCORE', KEYS[1], start_id)) or now
        redis.call('ZADD', KEYS[1], math.max(start_due, now) + 1, id)
        blocked = true
      end
    end
    if not blocked then
      redis.call('HSET', dk, 'claim_token', token, 'claimed_until', now + hold)
      redis.call('ZADD', KEYS[1], now + hold, id)
      claimed[#claimed + 1] = { id = id, job_id = job_id, account_id = account_id, event = event, url = url,
        webhook_id = webhook_id, attempt = attempts + 1 }
    end
  end
end
return cjson.encode({ now = now, deliveries = claimed })

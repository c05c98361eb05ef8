-- webhook_event(job_id, event, now): records a webhook event in the same EVAL as the transition
-- that causes it (DESIGN decision 8), so a crash between "job succeeded" and "webhook queued" is
-- impossible and the cron finds the delivery even if the request that caused it never sent it.
-- It reads the job's `request` (its `webhook` and `webhook_events_filter`) and, when the job wants
-- this event, writes the delivery `wh:{job}:{event}`, appends it to the job's delivery list and
-- makes it due now in `webhooks:due`. The delivery id is the job id and the event, so calling it
-- twice for the same event (a released job leased again, the eager and the lazy follower
-- settlement) records it once. Start-before-completed ordering is enforced when deliveries are
-- claimed (webhooks/scripts/claim-webhooks.lua). Self-contained (no ARGV): any script includes it.
--- @include "keys"

-- A delivery record outlives its job for at least this long: the retry schedule spans ~28 h.
local DELIVERY_MIN_TTL_MS = 2 * 24 * 3600 * 1000

local function webhook_event(job_id, event, now)
  local jk = job_key(job_id)
  local request, account_id = unpack(redis.call('HMGET', jk, 'request', 'account_id'))
  if not request then return false end
  local ok, req = pcall(cjson.decode, request)
  if not ok or type(req) ~= 'table' or type(req.webhook) ~= 'string' or req.webhook == '' then return false end
  if type(req.webhook_events_filter) == 'table' then
    local wanted = false
    for _, name in ipairs(req.webhook_events_filter) do
      if name == event then wanted = true end
    end
    if not wanted then return false end
  end
  local id = job_id .. ':' .. event
  local dk = webhook_delivery_key(id)
  if redis.call('EXISTS', dk) == 1 then return false end
  local ttl = math.max(redis.call('PTTL', jk), DELIVERY_MIN_TTL_MS)
  redis.call('HSET', dk, 'job_id', job_id, 'account_id', account_id or '', 'event', event, 'url', req.webhook,
    'webhook_id', 'msg_' .. job_id .. '_' .. event, 'attempts', 0, 'state', 'pending', 'created_at', now,
    'next_at', now)
  redis.call('PEXPIRE', dk, ttl)
  local list = job_webhooks_key(job_id)
  redis.call('RPUSH', list, id)
  redis.call('PEXPIRE', list, ttl)
  redis.call('ZADD', webhooks_due_key(), now, id)
  return true
end

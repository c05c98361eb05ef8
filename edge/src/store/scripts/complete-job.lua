-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds).
-- Complete: the lease holder's outputs (already verified in R2 by the route) become the job's
-- result. Credits settle (the held units are released, the charge taken), the queue entry and
-- lease go, the account's concurrency slot frees, a seeded job becomes the cache answer for its
-- fingerprint, and one usage event goes to the billing outbox. Repeating the call with the same
-- token answers the same, so a worker that lost the reply can retry safely.
--
-- KEYS: none   ARGV: context, job_id, lease_token, outputs JSON, inference_ms
--- @include "prelude"
local job_id, token, outputs, inference_ms = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if job and job.status == 'succeeded' and job.lease_token == token then
  return cjson.encode({ units = tonumber(job.units), repeated = true })
end
if not holds_lease(job, token, now) then return LEASE_LOST end

-- The price is a function of the input alone (model, size, steps, outputs) and every output was
-- delivered, so the amount held at submit is the actual charge.
local units = tonumber(job.units_reserved) or 0
local acct = key(CTX.account, job.account_id)
if units > 0 then redis.call('HINCRBYFLOAT', acct, 'reserved', -units) end

local progress = {}
if job.progress_total then progress = { 'progress_step', job.progress_total } end
finish(job, 'succeeded', now, { 'outputs', outputs, 'inference_ms', inference_ms, 'units', units, unpack(progress) })

if job.fingerprint and job.fingerprint ~= '' then
  -- The cache answer lives as long as the job record whose outputs it points at.
  local done = key(CTX.fp_done, job.fingerprint)
  local ttl = redis.call('PTTL', key(CTX.job, job_id))
  if ttl > 0 then redis.call('SET', done, job_id, 'PX', ttl) else redis.call('SET', done, job_id) end
end

record_usage(job_id, job.account_id, job.model, units, now, job.livemode)
return cjson.encode({ units = units })

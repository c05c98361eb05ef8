-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds).
-- Fail: the lease holder reports an error. A retryable one with attempts left puts the job back on
-- its queue (the next lease is the next attempt); otherwise the job fails with the error and the
-- held credits go back to the account. A cancel asked for meanwhile wins: the job is canceled.
-- Repeating the call with the same token after the job ended answers the same.
--
-- KEYS: none   ARGV: context, job_id, lease_token, error JSON {code, message}, retryable "1"|"0"
--- @include "prelude"
local job_id, token, err, retryable = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if job and job.lease_token == token and (job.status == 'failed' or job.status == 'canceled') then
  return cjson.encode({ status = job.status, model = job.model, repeated = true })
end
if not holds_lease(job, token, now) then return LEASE_LOST end

if job.cancel_requested == '1' then
  local heir = cancel_job(job, now)
  return cjson.encode({ status = 'canceled', model = job.model, promoted = heir })
end
if retryable and attempts_left(job) then
  redis.call('HSET', key(CTX.job, job_id), 'last_error', err)
  requeue(job)
  return cjson.encode({ status = 'queued', model = job.model })
end
local decoded = cjson.decode(err)
fail_job(job, now, decoded.code, decoded.message)
return cjson.encode({ status = 'failed', model = job.model })

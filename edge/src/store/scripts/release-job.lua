-- Release: a draining worker (SIGTERM) gives back a job it will not finish. The job goes back on
-- its queue without spending an attempt, since nothing went wrong with it; a cancel asked for
-- meanwhile ends it canceled instead.
--
-- KEYS: none   ARGV: context, job_id, lease_token
--- @include "prelude"
local job_id, token = ARGV[2], ARGV[3]
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if not holds_lease(job, token, now) then return LEASE_LOST end
if job.cancel_requested == '1' then
  local heir = cancel_job(job, now)
  return cjson.encode({ status = 'canceled', model = job.model, promoted = heir })
end
local jk = key(CTX.job, job_id)
redis.call('HINCRBY', jk, 'attempt', -1)
job.attempt = tostring((tonumber(job.attempt) or 1) - 1)
requeue(job)
return cjson.encode({ status = 'queued', model = job.model })

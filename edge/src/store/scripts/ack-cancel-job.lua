-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds).
-- Cancel acknowledgement: the lease holder saw `cancel: true` on a heartbeat, stopped, and says
-- so. The job ends canceled and its held credits go back. Only a requested cancel can be
-- acknowledged: a worker that wants to give a job back uses release-job instead.
--
-- KEYS: none   ARGV: context, job_id, lease_token
--- @include "prelude"
local job_id, token = ARGV[2], ARGV[3]
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if job and job.lease_token == token and job.status == 'canceled' then
  return cjson.encode({ status = 'canceled', model = job.model, repeated = true })
end
if not holds_lease(job, token, now) then return LEASE_LOST end
if job.cancel_requested ~= '1' then return cjson.encode({ not_requested = true }) end
local heir = cancel_job(job, now)
return cjson.encode({ status = 'canceled', model = job.model, promoted = heir })

-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds).
-- Release: a draining worker (SIGTERM) gives back a job it will not finish. The job goes back on
-- its queue without spending an attempt, since nothing went wrong with it; a cancel asked for
-- meanwhile ends it canceled instead. Releases are counted: a job that every worker gives back (a
-- poison job that makes workers drain, or get killed and drain) would otherwise hold its credits
-- and concurrency slot forever, so the release beyond the limit ends it failed
-- (`too_many_releases`), its credits back, the `completed` webhook recorded.
--
-- KEYS: none
-- ARGV: context, job_id, lease_token, most releases ('' = not counted: the edge gives back a lease
--       its worker never received)
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
local max_releases = tonumber(ARGV[4])
if max_releases then
  local releases = redis.call('HINCRBY', jk, 'releases', 1)
  if releases > max_releases then
    fail_job(job, now, 'too_many_releases', 'workers gave the job back ' .. max_releases .. ' times without finishing it')
    return cjson.encode({ status = 'failed', model = job.model })
  end
end
redis.call('HINCRBY', jk, 'attempt', -1)
job.attempt = tostring((tonumber(job.attempt) or 1) - 1)
requeue(job)
return cjson.encode({ status = 'queued', model = job.model })

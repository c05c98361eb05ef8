-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds (every expired lease)).
-- Reaper (cron): finds expired leases through the `leases` zset, which covers every model, also
-- the ones no worker is polling, and requeues each job as its next attempt, or ends it when its
-- attempts are spent (failed) or a cancel was asked for (canceled). Members that no longer match a
-- live lease (finished jobs, or an extension not yet reflected) are tidied.
--
-- KEYS: leases   ARGV: context, batch limit
--- @include "prelude"
local limit = tonumber(ARGV[2])
local now = now_ms()
local requeued, ended = {}, {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, job_id in ipairs(due) do
  local job = load_job(job_id)
  if job == nil or job.status ~= 'running' then
    redis.call('ZREM', KEYS[1], job_id)
  elseif (tonumber(job.lease_expires_at) or 0) > now then
    redis.call('ZADD', KEYS[1], job.lease_expires_at, job_id)
  else
    local outcome, heir = end_expired(job, now)
    if outcome then
      ended[#ended + 1] = { job_id = job_id, status = outcome }
      if heir then requeued[#requeued + 1] = { job_id = heir, model = job.model } end
    else
      requeue(job)
      requeued[#requeued + 1] = { job_id = job_id, model = job.model }
    end
  end
end
return cjson.encode({ scanned = #due, requeued = requeued, ended = ended })

-- Upstash: global lock (the job record, its account, queue and followers are named by the job id it is given or finds).
-- Heartbeat: the lease holder extends its lease, records progress and learns whether a cancel was
-- asked for. The stream entry's idle time is reset too (XCLAIM to the same consumer), so
-- XAUTOCLAIM in lease-jobs never takes a job whose worker is still alive.
--
-- KEYS: leases   ARGV: context, job_id, lease_token, lease_ttl_ms, progress_step, progress_total
--- @include "prelude"
local job_id, token, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local step, total = tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()
local job = load_job(job_id)
if job == nil then return NOT_FOUND end
if not holds_lease(job, token, now) then return LEASE_LOST end

local jk = key(CTX.job, job_id)
local expires = now + ttl
redis.call('HSET', jk, 'lease_expires_at', expires)
if step and total then
  redis.call('HSET', jk, 'progress_step', math.min(step, total), 'progress_total', total)
end
redis.call('ZADD', KEYS[1], expires, job_id)
redis.call('XCLAIM', key(CTX.queue, job.model), CTX.group, job.worker_id, 0, job.stream_id, 'JUSTID')
return cjson.encode({ lease_expires_at = expires, cancel = job.cancel_requested == '1' })

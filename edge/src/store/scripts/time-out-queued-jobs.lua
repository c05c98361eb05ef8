-- Upstash: global lock (one stream per model of models:queued, and the job each waiting entry names).
-- Queue timeout (cron): a job that waited in its model's queue longer than the timeout, because no
-- worker took it, ends failed, as any other failure ends: code `no_capacity` when no worker asked
-- to lease its model within the seen window (models:seen; such a queue does not drive scaling
-- either), else `queue_timeout` (too few workers for the load); held credits back, its concurrency slot back, its
-- coalesced followers failed with it, the `completed` webhook recorded. A job put back in its queue
-- (retry, release) waits anew from its new entry. Entries that no longer name a queued job are
-- dropped on the way (a lease would drop them too).
--
-- KEYS: models:queued, models:seen   ARGV: context, timeout ms, most jobs to end in this run, seen window ms
-- Returns JSON { ended = [{ job_id, model, code }] }.
--- @include "prelude"
local timeout, limit, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local ended = {}
for _, model in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if #ended >= limit then break end
  local q = key(CTX.queue, model)
  local group = queue_group(q)
  local seen_at = tonumber(redis.call('HGET', KEYS[2], model))
  local served = seen_at ~= nil and seen_at >= now - window
  if group then
    -- Waiting entries enqueued at or before now - timeout (an id's first part is its enqueue ms).
    local entries = redis.call('XRANGE', q, '(' .. group.last_delivered, now - timeout, 'COUNT', limit - #ended)
    for _, entry in ipairs(entries) do
      local job = load_job(stream_field(entry[2], 'job') or '')
      if job ~= nil and job.status == 'queued' and job.stream_id == entry[1] then
        if served then
          fail_job(job, now, 'queue_timeout', 'no worker took the job within ' .. math.floor(timeout / 1000) .. ' s')
        else
          fail_job(job, now, 'no_capacity', 'no worker serves model ' .. model)
        end
        ended[#ended + 1] = { job_id = job.id, model = model, code = served and 'queue_timeout' or 'no_capacity' }
      else
        redis.call('XDEL', q, entry[1])
      end
    end
  end
end
return cjson.encode({ ended = ended })

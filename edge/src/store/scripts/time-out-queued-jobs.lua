-- Upstash: global lock (one stream per model of models:queued, and the job each waiting entry names).
-- Queue timeout (cron): a job that waited in its model's queue longer than the timeout, because no
-- worker took it (none serves the model, or too few for the load), ends failed with code
-- `queue_timeout`, as any other failure ends: held credits back, its concurrency slot back, its
-- coalesced followers failed with it, the `completed` webhook recorded. A job put back in its queue
-- (retry, release) waits anew from its new entry. Entries that no longer name a queued job are
-- dropped on the way (a lease would drop them too).
--
-- KEYS: models:queued   ARGV: context, timeout ms, most jobs to end in this run
-- Returns JSON { ended = [{ job_id, model }] }.
--- @include "prelude"
local timeout, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local ended = {}
for _, model in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if #ended >= limit then break end
  local q = key(CTX.queue, model)
  local group = queue_group(q)
  if group then
    -- Waiting entries enqueued at or before now - timeout (an id's first part is its enqueue ms).
    local entries = redis.call('XRANGE', q, '(' .. group.last_delivered, now - timeout, 'COUNT', limit - #ended)
    for _, entry in ipairs(entries) do
      local job = load_job(stream_field(entry[2], 'job') or '')
      if job ~= nil and job.status == 'queued' and job.stream_id == entry[1] then
        fail_job(job, now, 'queue_timeout', 'no worker took the job within ' .. math.floor(timeout / 1000) .. ' s')
        ended[#ended + 1] = { job_id = job.id, model = model }
      else
        redis.call('XDEL', q, entry[1])
      end
    end
  end
end
return cjson.encode({ ended = ended })

-- Request tokens make a state change safe to repeat. @upstash/redis resends a request whose fetch
-- failed, even when Redis had already run it and only the reply was lost, with the same KEYS and
-- ARGV. A script that must not act twice is given a token made fresh for each call (so the same on
-- every resend) as the declared key req:{token}, and keeps its reply there for a while: a resend
-- gets the first reply back and changes nothing. (submit-generation needs no such key: the new
-- job's id is its token and the job record its memory.)
local REQUEST_REPLY_TTL_MS = 300000

local function first_reply(request_key)
  return redis.call('GET', request_key)
end

local function remember_reply(request_key, reply)
  redis.call('SET', request_key, reply, 'PX', REQUEST_REPLY_TTL_MS)
  return reply
end

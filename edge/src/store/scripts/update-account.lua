#!lua flags=allow-key-locking
-- Changes fields of an existing account (admin PATCH, credit grants) without ever creating a
-- half account: nothing is written when the account is missing.
-- KEYS[1] acct:{accountId}  KEYS[2] req:{token} (a credit grant is applied once however often it is resent)
-- ARGV[1] credits delta ("0" for none)
-- ARGV[2..] field, value pairs to set; a value of "" deletes the field (back to the plan's default).
-- Returns JSON { ok }: false when the account does not exist.
--- @include "request-token"
local first = first_reply(KEYS[2])
if first then return first end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return cjson.encode({ ok = false })
end
local granted = tonumber(ARGV[1]) ~= 0
if granted then
  redis.call('HINCRBYFLOAT', KEYS[1], 'credits', ARGV[1])
end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
local reply = cjson.encode({ ok = true })
-- Setting fields twice sets them to the same values; only a grant needs remembering.
if granted then remember_reply(KEYS[2], reply) end
return reply

#!lua flags=allow-key-locking
-- Puts held usage events back on the outbox (after the operator linked a Stripe customer, or
-- fixed what Stripe rejected), as new entries with their original fields; the next flush sends
-- them. Their identifier is still the job id, so an event Stripe did take is not billed twice.
-- KEYS[1] outbox:usage:held  KEYS[2] outbox:usage
-- ARGV[1] account id ('' = every account)  ARGV[2] most entries to move
-- Returns JSON { count } of events moved.
local account, limit = ARGV[1], tonumber(ARGV[2])
local HELD_ONLY = { reason = true, outbox_id = true, held_at = true }
local moved = 0
local start = '-'
while moved < limit do
  local batch = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 200)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local original, of_account = {}, false
    for i = 1, #entry[2], 2 do
      local field, value = entry[2][i], entry[2][i + 1]
      if field == 'account' and (account == '' or value == account) then of_account = true end
      if not HELD_ONLY[field] then
        original[#original + 1] = field
        original[#original + 1] = value
      end
    end
    if of_account and moved < limit then
      redis.call('XADD', KEYS[2], '*', unpack(original))
      redis.call('XDEL', KEYS[1], entry[1])
      moved = moved + 1
    end
  end
  start = '(' .. batch[#batch][1]
end
return cjson.encode({ count = moved })

#!lua flags=allow-key-locking
-- Puts held usage events back on the outbox (after the operator linked a Stripe customer, or
-- fixed what Stripe rejected), as new entries with their original fields; the next flush sends
-- them. Their identifier is still the job id, so an event Stripe did take is not billed twice.
-- Incremental: one call reads at most `scan` held entries from `cursor` on and says where the next
-- call goes on, so a long held stream (or one account's few events in it) never makes a long script.
-- KEYS[1] outbox:usage:held  KEYS[2] outbox:usage
-- ARGV[1] account id ('' = every account)  ARGV[2] most entries to move
-- ARGV[3] cursor: go on after this held id ('' = from the start)  ARGV[4] most held entries to read
-- Returns JSON { count, next }: the cursor for the next call, '' when the held stream was read to its end.
local account, limit, cursor, scan = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local HELD_ONLY = { reason = true, outbox_id = true, held_at = true }
local moved, read = 0, 0
local start, next = '-', ''
if cursor ~= '' then start = '(' .. cursor end
while moved < limit and read < scan do
  local batch = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', math.min(200, scan - read))
  if #batch == 0 then
    next = ''
    break
  end
  for _, entry in ipairs(batch) do
    if moved >= limit then break end
    read = read + 1
    local original, of_account = {}, false
    for i = 1, #entry[2], 2 do
      local field, value = entry[2][i], entry[2][i + 1]
      if field == 'account' and (account == '' or value == account) then of_account = true end
      if not HELD_ONLY[field] then
        original[#original + 1] = field
        original[#original + 1] = value
      end
    end
    if of_account then
      redis.call('XADD', KEYS[2], '*', unpack(original))
      redis.call('XDEL', KEYS[1], entry[1])
      moved = moved + 1
    end
    start = '(' .. entry[1]
    next = entry[1]
  end
end
-- `next` is the last id read; the caller goes on after it. Nothing after it: done.
if next ~= '' and #redis.call('XRANGE', KEYS[1], '(' .. next, '+', 'COUNT', 1) == 0 then next = '' end
return cjson.encode({ count = moved, next = next })

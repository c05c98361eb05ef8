-- Upstash: global lock (each outbox entry's account is read for its Stripe customer).
-- Hands the meter flush its next batch of usage events, oldest first. Entries a previous flush
-- took but never acknowledged (it crashed, or Stripe failed and it stopped) are claimed back
-- first (XAUTOCLAIM, min idle 0: the caller holds the flush lock, so no other flush is sending
-- them); then entries no flush has seen (XREADGROUP '>'). Each comes with the Stripe customer its
-- account is linked to now, read in the same script so the batch is one round trip.
-- KEYS[1] outbox:usage
-- ARGV[1] consumer group  ARGV[2] consumer  ARGV[3] batch size  ARGV[4] account key template ('{}' = id)
-- Returns JSON [{ id, fields = { job, account, model, units, at }, customer, deliveries }].
local group, consumer, count, account_template = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]

-- First use (or the stream was deleted): the group starts at the beginning so no event is skipped.
redis.pcall('XGROUP', 'CREATE', KEYS[1], group, '0', 'MKSTREAM')

local entries, reclaimed = {}, {}
local cursor = '0-0'
repeat
  local reply = redis.call('XAUTOCLAIM', KEYS[1], group, consumer, 0, cursor, 'COUNT', count - #entries)
  cursor = reply[1]
  for _, entry in ipairs(reply[2]) do
    entries[#entries + 1] = entry
    reclaimed[entry[1]] = true
  end
until cursor == '0-0' or #entries >= count

if #entries < count then
  local reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - #entries, 'STREAMS', KEYS[1], '>')
  if reply and reply[1] then
    for _, entry in ipairs(reply[1][2]) do entries[#entries + 1] = entry end
  end
end

local out = {}
for _, entry in ipairs(entries) do
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  local customer = ''
  if fields.account then
    local account_key = string.gsub(account_template, '{}', fields.account, 1)
    customer = redis.call('HGET', account_key, 'stripe_customer') or ''
  end
  out[#out + 1] = { id = entry[1], fields = fields, customer = customer, reclaimed = reclaimed[entry[1]] == true }
end
return cjson.encode(out)

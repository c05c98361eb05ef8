#!lua flags=allow-key-locking
-- Records what a worker read from a catalog model's export, replacing the previous report whole
-- (a field the new report lacks must not survive from an older worker's), with a TTL renewed by
-- every report: a model no worker has served for that long shows no stale export.
-- KEYS[1] model:{name}:export
-- ARGV[1] scheduler_class ('' = the export names none)
-- ARGV[2] scheduler_class_supported ('1' or '0')
-- ARGV[3] default_scheduler
-- ARGV[4] reported_at (ISO 8601)
-- ARGV[5] TTL in ms
-- Returns JSON { ok = true }. Safe to repeat: a resend writes the same fields.
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1],
  'scheduler_class', ARGV[1],
  'scheduler_class_supported', ARGV[2],
  'default_scheduler', ARGV[3],
  'reported_at', ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return cjson.encode({ ok = true })

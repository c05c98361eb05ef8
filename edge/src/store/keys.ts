/**
 * The Redis key layout: every key the edge reads or writes is built here, so Lua scripts
 * (which receive these as KEYS) and TypeScript never disagree on a name.
 *
 * Records (hashes):
 *   acct:{accountId}              id, name, plan, credits, reserved, created_at, stripe_customer,
 *                                 webhook_secret, webhook_secret_prev, webhook_secret_prev_until,
 *                                 rpm_limit, concurrency_limit, test_quota (override of the plan's
 *                                 daily test quota), test_day + test_used (test-key generations
 *                                 created on that UTC day, submit-generation.lua)
 *   apikey:{sha256(key)}          key_id, account_id, mode, created_at, revoked ("1" once revoked)
 *   keyid:{keyId}                 string -> sha256 of that key (revocation by id)
 *   authfail:{address}            integer: failed API-key authentications from a client address (1 min)
 *   job:{jobId}                   see JOB_FIELDS in job-record.ts
 * Indexes:
 *   acct:{accountId}:jobs         zset, score = created ms, member = job id (list newest first)
 *   acct:{accountId}:keys         set of key ids
 *   acct:{accountId}:active       integer: queued + running jobs (concurrency cap)
 *   accounts                      set of account ids
 * Queue (DESIGN decision 2):
 *   q:{model}                     stream, one entry per attempt: { job: jobId, attempt: n }
 *   QUEUE_GROUP                   its consumer group
 *   leases                        zset, score = lease expiry ms, member = job id (reaper)
 *   models:queued                 set of model names that have a stream (queue metrics)
 *   models:seen                   hash model -> ms a worker last asked to lease it (which queues drive scaling)
 *   model:{name}:export           hash: what a worker read from that catalog model's export (scheduler_class,
 *                                 scheduler_class_supported, default_scheduler, reported_at), 30-day TTL
 *                                 renewed by every report (record-model-export.lua)
 *   reaper:active_cursor          SSCAN cursor over `accounts` of the active recount (recount-active.lua)
 * Cache and dedup (DESIGN decision 6); the fingerprint covers the account and the key's mode
 * (generations/fingerprint.ts), so neither key is ever reached from another account or mode:
 *   fp:done:{fingerprint}         job id whose outputs answer this fingerprint
 *   fp:live:{fingerprint}         job id in flight for this fingerprint (coalescing)
 *   job:{leaderId}:followers      list of follower job ids coalesced onto the leader (see below)
 *   idem:{accountId}:{sha256(idempotency key)}  "{jobId}:{bodyHash}", 24 h TTL
 *
 * Coalescing contract (submit-generation.lua writes it; the worker-side complete/fail scripts
 * and cancel-queued.lua read it). A request whose fingerprint is in `fp:live:` gets its own job
 * (its own id, account, credits reserved at the full price, counted in its account's active
 * jobs) with `leader` = the leader's id and the leader's status; it is not put on the stream
 * but RPUSHed to `job:{leader}:followers`. When the leader reaches a terminal state:
 *   succeeded -> every follower: status succeeded, cached "1", outputs = the leader's outputs
 *                (same R2 keys), started_at/completed_at = the leader's, units = the model's
 *                cache_hit price (field `units_cache_hit`, written at submit), credits settled
 *                (reserved -= units_reserved; credits += units_reserved - units), active -1.
 *   failed    -> every follower: status failed, error = the leader's, credits released, active -1.
 *   canceled  -> the first follower is promoted: `leader` field removed, XADDed to q:{model},
 *                `fp:live:` repointed to it, the rest of the list moved to its followers list
 *                (their `leader` field rewritten). Someone else's cancel never fails a follower.
 * Then `fp:live:{fp}` (if it still names the leader) and the followers list are deleted.
 * Rate limits: @upstash/ratelimit keeps its counters under `rl:{sha256(key)}:{window}`.
 * Billing and webhooks (DESIGN decisions 7, 8):
 *   outbox:usage                  stream of settled usage events for Stripe
 *   usage:{accountId}:{yyyy-mm-dd}  hash model -> units / jobs (ledger)
 *   outbox:usage:held             stream of usage events Stripe will not take as they are (no customer
 *                                 linked, rejected): the original fields plus `reason` (edge/src/billing/)
 *   billing:flush                 hash: the meter flush's lock token and backoff state
 *   stripe:event:{eventId}        what a Stripe webhook event did, set once (replays are no-ops)
 *   stripe:customer:{customerId}  account id linked to that Stripe customer
 *   webhooks:due                  zset, score = due ms, member = delivery id
 *   wh:{deliveryId}               hash: one webhook delivery (edge/src/lua/webhook-events.lua);
 *                                 delivery id = `{jobId}:{event}`, so an event is recorded once
 *   wh:{deliveryId}:log           list of JSON attempt entries (the delivery log)
 *   job:{jobId}:webhooks          list of the job's delivery ids in event order (start first)
 *   retention:sweep               R2 list cursor of the stored-image retention sweep ('' = start over)
 * Request tokens (edge/src/lua/request-token.lua):
 *   req:{token}                   a script's reply to one call, 5 min: a resend of the call gets it back
 */
export const QUEUE_GROUP = 'workers';
/** Consumer group of the usage outbox: the meter flush (edge/src/billing/flush-usage.ts). */
export const BILLING_GROUP = 'billing';

export const keys = {
  account: (accountId: string) => `acct:${accountId}`,
  accountJobs: (accountId: string) => `acct:${accountId}:jobs`,
  accountKeys: (accountId: string) => `acct:${accountId}:keys`,
  accountActive: (accountId: string) => `acct:${accountId}:active`,
  accounts: () => 'accounts',
  apiKey: (keyHash: string) => `apikey:${keyHash}`,
  /** Failed API-key authentications from one client address (count-auth-failure.lua). */
  authFailures: (address: string) => `authfail:${address}`,
  keyId: (keyId: string) => `keyid:${keyId}`,
  job: (jobId: string) => `job:${jobId}`,
  queue: (model: string) => `q:${model}`,
  leases: () => 'leases',
  queuedModels: () => 'models:queued',
  modelsSeen: () => 'models:seen',
  modelExport: (model: string) => `model:${model}:export`,
  cacheDone: (fingerprint: string) => `fp:done:${fingerprint}`,
  cacheLive: (fingerprint: string) => `fp:live:${fingerprint}`,
  jobFollowers: (leaderId: string) => `job:${leaderId}:followers`,
  idempotency: (accountId: string, keyHash: string) => `idem:${accountId}:${keyHash}`,
  usageOutbox: () => 'outbox:usage',
  usageOutboxHeld: () => 'outbox:usage:held',
  billingFlush: () => 'billing:flush',
  stripeEvent: (eventId: string) => `stripe:event:${eventId}`,
  stripeCustomer: (customerId: string) => `stripe:customer:${customerId}`,
  usageDay: (accountId: string, day: string) => `usage:${accountId}:${day}`,
  webhooksDue: () => 'webhooks:due',
  webhookDelivery: (deliveryId: string) => `wh:${deliveryId}`,
  webhookLog: (deliveryId: string) => `wh:${deliveryId}:log`,
  jobWebhooks: (jobId: string) => `job:${jobId}:webhooks`,
  requestReply: (token: string) => `req:${token}`,
  activeRecountCursor: () => 'reaper:active_cursor',
  objectSweep: () => 'retention:sweep',
} as const;

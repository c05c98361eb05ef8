/**
 * The job hash (`job:{id}`). Every field is a string in Redis; this is the one place that
 * names them. Transitions happen only inside Lua scripts (edge/src/store/scripts/), which
 * receive field values already serialised by the caller.
 *
 * status            queued | running | succeeded | failed | canceled
 * account_id        owner
 * model             model name (stream q:{model})
 * input             JSON of JobInput (shared/src/generation.ts), defaults resolved
 * request           JSON of the public fields echoed back (webhook, webhook_events_filter)
 * fingerprint       cache fingerprint, "" when the request had no seed
 * cached            "1" when answered from the cache
 * livemode          "0" for a test key's job (free: nothing held, charged or metered), "1" live;
 *                   absent on records older than test mode (live)
 * created_at        ms; started_at, completed_at: ms or absent
 * attempt           attempts leased so far
 * max_attempts      retry limit
 * lease_token       current lease's fencing token; absent when not leased
 * lease_expires_at  ms
 * worker_id         who holds the lease
 * progress_step, progress_total
 * cancel_requested  "1" when a cancel came while running
 * outputs           JSON array of { key, content_type, width, height, seed }
 * error             JSON { code, message }
 * units_reserved    units held at submit
 * units             units charged (settled)
 * inference_ms      reported by the worker
 * stream_id         id of the current stream entry (for XACK)
 * leader            set on a coalesced follower: the job whose work answers it (keys.ts)
 * units_cache_hit   units a follower is charged if the leader's outputs answer it
 * idempotency_key   the idem:{...} key that points at this job, when one was sent
 * image_sha256, mask_sha256  digests of stored input images (part of the fingerprint)
 * origin            the submit request's origin, for links in webhook payloads (no request then)
 * webhook_format    "replicate" when created through /replicate/v1: webhooks carry a prediction
 * compat_owner      that surface's model owner (COMPAT_MODEL_OWNER) at submit
 */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

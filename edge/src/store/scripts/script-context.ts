import { keys, QUEUE_GROUP } from '../keys';

/** The placeholder the Lua prelude's `key()` replaces with ids, in the order given. */
const ID = '{}';

/** Attempts a job gets when its record predates `max_attempts` (submit always writes the field). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * ARGV[1] of every worker-protocol script: the key templates, built by the same functions in
 * keys.ts that TypeScript uses, so a script can never disagree with the layout. Scripts need
 * keys they only learn from the job record (its account, model, fingerprint), so names cannot
 * all be passed as KEYS; templates keep the layout in one place anyway.
 */
export const SCRIPT_CONTEXT = JSON.stringify({
  job: keys.job(ID),
  account: keys.account(ID),
  active: keys.accountActive(ID),
  queue: keys.queue(ID),
  leases: keys.leases(),
  queued_models: keys.queuedModels(),
  fp_done: keys.cacheDone(ID),
  fp_live: keys.cacheLive(ID),
  followers: keys.jobFollowers(ID),
  outbox: keys.usageOutbox(),
  usage_day: keys.usageDay(ID, ID),
  group: QUEUE_GROUP,
  default_max_attempts: DEFAULT_MAX_ATTEMPTS,
});

import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';

export const BEGIN_FLUSH: LuaScript = SCRIPTS['begin-flush'];
export const END_FLUSH: LuaScript = SCRIPTS['end-flush'];

export type BeginFlushResult =
  | { outcome: 'locked'; failures: number }
  | { outcome: 'busy'; failures: number }
  | { outcome: 'backoff'; failures: number; retry_at: number };

/** Takes the flush lock for `lockMs`, unless a backoff runs (and `force` is off) or another flush holds it. */
export function beginFlush(
  redis: ScriptRedis,
  options: { token: string; lockMs: number; force: boolean },
): Promise<BeginFlushResult> {
  return runScript<BeginFlushResult>(
    redis,
    BEGIN_FLUSH,
    [keys.billingFlush()],
    [options.token, String(options.lockMs), options.force ? '1' : '0'],
  );
}

export interface EndFlushOptions {
  token: string;
  /** `failed` when Stripe could not be reached or answered with a retryable error. */
  outcome: 'ok' | 'failed';
  retryBaseMs: number;
  retryMaxMs: number;
  error?: string;
}

/** Stripe takes meter events up to 35 days old: a held event older than that can never be metered. */
export const HELD_MAX_AGE_MS = 35 * 24 * 3600_000;
/** Held events trimmed per flush at most: the script stays short however far behind trimming is. */
export const HELD_TRIM_PER_FLUSH = 1_000;

export interface EndFlushResult {
  failures: number;
  /** When the next unforced flush may run; 0 = no backoff. */
  retry_at: number;
  /** Settle time (ms) of the oldest event still in the outbox; 0 when it is empty. */
  oldest_at: number;
  /** Held events older than Stripe accepts, removed now. */
  held_trimmed: number;
}

/** Releases the lock, records the outcome, reads the billing lag and trims expired held events. */
export function endFlush(redis: ScriptRedis, options: EndFlushOptions): Promise<EndFlushResult> {
  return runScript(
    redis,
    END_FLUSH,
    [keys.billingFlush(), keys.usageOutbox(), keys.usageOutboxHeld()],
    [
      options.token,
      options.outcome,
      String(options.retryBaseMs),
      String(options.retryMaxMs),
      (options.error ?? '').slice(0, 500),
      String(Math.random()),
      String(HELD_MAX_AGE_MS),
      String(HELD_TRIM_PER_FLUSH),
    ],
  );
}

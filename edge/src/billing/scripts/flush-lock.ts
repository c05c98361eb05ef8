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

/** Releases the lock and records the outcome; returns the backoff now in force (retry_at 0 = none). */
export function endFlush(
  redis: ScriptRedis,
  options: EndFlushOptions,
): Promise<{ failures: number; retry_at: number }> {
  return runScript(
    redis,
    END_FLUSH,
    [keys.billingFlush()],
    [
      options.token,
      options.outcome,
      String(options.retryBaseMs),
      String(options.retryMaxMs),
      (options.error ?? '').slice(0, 500),
      String(Math.random()),
    ],
  );
}

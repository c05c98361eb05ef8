import { keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';
import beginLua from './begin-flush.lua';
import endLua from './end-flush.lua';

export const BEGIN_FLUSH: LuaScript = {
  name: 'begin-flush',
  lua: beginLua,
  sha1: '7439fc1a741855c634c7b4ec925bf4c393f208c9',
};
export const END_FLUSH: LuaScript = {
  name: 'end-flush',
  lua: endLua,
  sha1: '8da8b2675a0ab96f3661ca04017448152fec6972',
};

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

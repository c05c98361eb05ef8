import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const COUNT_AUTH_FAILURE: LuaScript = SCRIPTS['count-auth-failure'];

export interface AuthFailureCount {
  /** Failures from this address in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  ttlMs: number;
}

export async function countAuthFailure(
  redis: ScriptRedis,
  address: string,
  windowSeconds: number,
): Promise<AuthFailureCount> {
  const reply = await runScript<{ count: number; ttl_ms: number }>(
    redis,
    COUNT_AUTH_FAILURE,
    [keys.authFailures(address)],
    [String(windowSeconds)],
  );
  return { count: reply.count, ttlMs: reply.ttl_ms };
}

import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Caller } from '../../context';
import { ApiError } from '../../errors/api-error';
import { sha256Hex } from '../../lib/crypto';
import { API_KEY_PATTERN } from '../../lib/ids';
import { lookupApiKey } from '../../store/scripts/auth-lookup';
import { countAuthFailure } from '../../store/scripts/count-auth-failure';
import { applyRateDecision, type KeyRateLimit } from '../rate-limit';
import { bearerToken } from './bearer';
import { clientAddress } from './client-address';

export interface ApiKeyAuthOptions {
  /** Per-key rate limit, checked once the key is known to exist (see below). */
  rateLimit?: KeyRateLimit;
  /** Failed authentications allowed per client address per window before 429 (default 30). */
  maxFailuresPerWindow?: number;
  /** That window, in seconds (default 60). */
  failureWindowSeconds?: number;
}

const unauthorized = (message: string) => new ApiError('unauthorized', message);

/**
 * `Authorization: Bearer ldm_live_...`: the key's SHA-256 is looked up in `apikey:{hash}`
 * (the key itself is never stored); unknown, malformed and revoked keys are 401. Sets `caller`.
 *
 * An unknown key costs no per-key state: the rate limiter (which writes a counter per key it
 * sees) runs only for keys known to exist. A key this isolate has already seen exist is looked up
 * and limited in the same auto-pipelined REST request, as before; a key it has not seen is looked
 * up first (one more round trip, once per key per isolate). A failed lookup (unknown or revoked
 * key) is counted per client address instead; beyond `maxFailuresPerWindow` it answers 429.
 */
export function apiKeyAuth(options: ApiKeyAuthOptions = {}): MiddlewareHandler<AppEnv> {
  const { rateLimit } = options;
  const maxFailures = options.maxFailuresPerWindow ?? 30;
  const failureWindow = options.failureWindowSeconds ?? 60;
  return async function apiKeyAuthMiddleware(c, next) {
    const key = bearerToken(c.req.header('authorization'));
    if (!key) throw unauthorized('Missing Authorization: Bearer <API key>.');
    if (!API_KEY_PATTERN.test(key))
      throw unauthorized('Malformed API key: expected ldm_live_... or ldm_test_...');
    const keyHash = await sha256Hex(key);
    // The auto-pipelined client: the lookup and the limiter's script share one REST request.
    const redis = c.get('batchedRedis');
    const config = c.get('config');

    // Both commands are issued in this tick, so auto-pipelining sends them as one REST request.
    const lookup = lookupApiKey(redis, keyHash);
    const hinted = rateLimit?.knows(keyHash)
      ? rateLimit.start(redis, keyHash, config.plans.free.requests_per_minute)
      : undefined;
    const [record, decision] = await Promise.all([lookup, hinted?.decision]);

    if (!record || record.revoked) {
      const failures = await countAuthFailure(
        redis,
        clientAddress(c.req.header('cf-connecting-ip')),
        failureWindow,
      );
      if (failures.count > maxFailures) {
        const retryAfter = String(Math.max(1, Math.ceil(failures.ttlMs / 1000)));
        throw new ApiError(
          'rate_limited',
          `Too many failed authentications from this address (limit ${maxFailures} per ${failureWindow} s); retry in ${retryAfter} s.`,
          undefined,
          { 'Retry-After': retryAfter },
        );
      }
      throw unauthorized(record ? 'This API key was revoked.' : 'Unknown API key.');
    }
    const plan = config.plans[record.plan as keyof typeof config.plans] ?? config.plans.free;
    const caller: Caller = {
      accountId: record.accountId,
      keyId: record.keyId,
      keyHash,
      mode: record.mode,
      plan: record.plan || 'free',
      rpmLimit: record.rpmLimit ?? plan.requests_per_minute,
      concurrencyLimit: record.concurrencyLimit ?? plan.concurrent_jobs,
      safetyChecker: record.safetyChecker,
    };
    c.set('caller', caller);
    if (rateLimit) {
      // A key seen for the first time here is limited now, under its real limit.
      let judged = hinted && decision ? { rpm: hinted.rpm, decision } : undefined;
      if (!judged) {
        const first = rateLimit.start(redis, keyHash, caller.rpmLimit);
        judged = { rpm: first.rpm, decision: await first.decision };
      }
      applyRateDecision(c, await rateLimit.settle(redis, caller, judged));
    }
    await next();
  };
}

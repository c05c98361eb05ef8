import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Caller } from '../../context';
import { ApiError } from '../../errors/api-error';
import { sha256Hex } from '../../lib/crypto';
import { API_KEY_PATTERN } from '../../lib/ids';
import { lookupApiKey } from '../../store/scripts/auth-lookup';
import { applyRateDecision, type KeyRateLimit } from '../rate-limit';
import { bearerToken } from './bearer';

export interface ApiKeyAuthOptions {
  /** Per-key rate limit checked in the same REST round trip as the key lookup. */
  rateLimit?: KeyRateLimit;
}

const unauthorized = (message: string) => new ApiError('unauthorized', message);

/**
 * `Authorization: Bearer ldm_live_...`: the key's SHA-256 is looked up in `apikey:{hash}`
 * (the key itself is never stored); unknown, malformed and revoked keys are 401. Sets `caller`.
 */
export function apiKeyAuth(options: ApiKeyAuthOptions = {}): MiddlewareHandler<AppEnv> {
  const { rateLimit } = options;
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
    const hinted = rateLimit?.start(redis, keyHash, config.plans.free.requests_per_minute);
    const [record, decision] = await Promise.all([lookup, hinted?.decision]);

    if (!record) throw unauthorized('Unknown API key.');
    if (record.revoked) throw unauthorized('This API key was revoked.');
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
    if (rateLimit && hinted && decision) {
      applyRateDecision(c, await rateLimit.settle(redis, caller, { rpm: hinted.rpm, decision }));
    }
    await next();
  };
}

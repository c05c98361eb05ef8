import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '@upstash/redis/cloudflare';
import type { Context } from 'hono';
import type { AppEnv, Caller } from '../../context';
import { ApiError } from '../../errors/api-error';

export type RateDecision = Awaited<ReturnType<Ratelimit['limit']>>;

export interface KeyRateLimitOptions {
  /** Window of the sliding-window limit, in seconds; limits are "per minute" so 60. */
  windowSeconds?: number;
  /** Redis key prefix of the limiter's counters. */
  prefix?: string;
  /** Most keys whose limit is remembered per isolate (see `hints`). */
  maxHints?: number;
}

/**
 * Per-key request limits with @upstash/ratelimit (sliding window). A key's limit depends on its
 * account (plan or override), which only the auth lookup reveals; waiting for it would cost a
 * second round trip. So the limit is *hinted* from what this isolate saw last for the key (the
 * plan default the first time) and the limiter's EVALSHA rides in the same auto-pipelined REST
 * request as the auth lookup, for keys this isolate has seen exist (see `knows`). When the hint was wrong and the request was refused, it is judged
 * again with the right limit; a wrong hint that allowed a request lets that one through.
 */
export class KeyRateLimit {
  private readonly window: number;
  private readonly prefix: string;
  private readonly maxHints: number;
  private readonly limiters = new WeakMap<Redis, Map<number, Ratelimit>>();
  private readonly hints = new Map<string, number>();

  constructor(options: KeyRateLimitOptions = {}) {
    this.window = options.windowSeconds ?? 60;
    this.prefix = options.prefix ?? 'rl';
    this.maxHints = options.maxHints ?? 10_000;
  }

  private limiter(redis: Redis, rpm: number): Ratelimit {
    let byLimit = this.limiters.get(redis);
    if (!byLimit) {
      byLimit = new Map();
      this.limiters.set(redis, byLimit);
    }
    let limiter = byLimit.get(rpm);
    if (!limiter) {
      limiter = new Ratelimit({
        // Ratelimit narrows the client to evalsha/get/set; the Workers build of the client is the same class.
        redis: redis as unknown as ConstructorParameters<typeof Ratelimit>[0]['redis'],
        limiter: Ratelimit.slidingWindow(rpm, `${this.window} s`),
        prefix: this.prefix,
        // Off: analytics would add writes to every decision (and make decision.pending real work
        // that applyRateDecision would then have to hand to waitUntil).
        analytics: false,
        // No fail-open timer: the decision shares its REST request with the key lookup, which the
        // request waits for anyway, so a timer would only cost a setTimeout per request.
        timeout: 0,
      });
      byLimit.set(rpm, limiter);
    }
    return limiter;
  }

  /**
   * Whether this isolate has seen the key exist (its limit is remembered): only then may its
   * limiter run before the lookup, since the limiter writes a counter for every key it is given.
   */
  knows(keyHash: string): boolean {
    return this.hints.has(keyHash);
  }

  /** Issues the limiter's command now (same tick as the caller's auth lookup). */
  start(redis: Redis, keyHash: string, defaultRpm: number): { rpm: number; decision: Promise<RateDecision> } {
    const rpm = this.hints.get(keyHash) ?? defaultRpm;
    return { rpm, decision: this.limiter(redis, rpm).limit(keyHash) };
  }

  /** Reconciles a hinted decision with the caller's real limit, remembering it for next time. */
  async settle(
    redis: Redis,
    caller: Caller,
    hinted: { rpm: number; decision: RateDecision },
  ): Promise<RateDecision> {
    if (this.hints.get(caller.keyHash) !== caller.rpmLimit) {
      if (this.hints.size >= this.maxHints) this.hints.delete(this.hints.keys().next().value as string);
      this.hints.set(caller.keyHash, caller.rpmLimit);
    }
    if (hinted.rpm === caller.rpmLimit || hinted.decision.success) return hinted.decision;
    return this.limiter(redis, caller.rpmLimit).limit(caller.keyHash);
  }
}

/** Writes the RateLimit-* headers (IETF draft names) and refuses with 429 when the decision says so. */
export function applyRateDecision(c: Context<AppEnv>, decision: RateDecision): void {
  // decision.pending carries the limiter's analytics writes; with analytics off (see limiter())
  // it is an already-settled promise, so it is not handed to waitUntil on every request.
  const resetSeconds = Math.max(0, Math.ceil((decision.reset - Date.now()) / 1000));
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  const reset = String(resetSeconds);
  if (!decision.success) {
    throw new ApiError(
      'rate_limited',
      `Rate limit of ${decision.limit} requests per minute reached; retry in ${Math.max(1, resetSeconds)} s.`,
      undefined,
      {
        'RateLimit-Limit': limit,
        'RateLimit-Remaining': remaining,
        'RateLimit-Reset': reset,
        'Retry-After': String(Math.max(1, resetSeconds)),
      },
    );
  }
  c.header('RateLimit-Limit', limit);
  c.header('RateLimit-Remaining', remaining);
  c.header('RateLimit-Reset', reset);
}

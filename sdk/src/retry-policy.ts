/**
 * When to retry and how long to wait. Pure functions so the schedule can be checked exactly;
 * the HTTP layer (http-client.ts) applies them.
 */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries: number;
  /** First backoff ceiling in ms; doubles each attempt. Default 500. */
  baseDelayMs: number;
  /** Ceiling of any one computed backoff. Default 8000. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error goes to the caller. Default 60000. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** 429 (rate or concurrency limited) and server-side failures are worth another try; 501 is not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 10.2.3). Undefined when
 * absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date always names a weekday or month; V8 would otherwise read "-1" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Exponential backoff with "full jitter" (AWS architecture blog, 2015): a uniform draw in
 * [0, min(max, base * 2^attempt)], so many clients failing together do not retry together.
 * A server's `Retry-After` wins when given: the wait is that long plus up to 10% jitter, never
 * shorter, because retrying earlier would only be refused again.
 */
export function backoffDelay(
  attempt: number,
  options: RetryOptions,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.round(retryAfterMs * (1 + 0.1 * random()));
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling * random());
}

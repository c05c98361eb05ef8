/**
 * Delays before attempts 2..8 after a failed attempt (ms): about 28 hours in all, so a receiver
 * that is down for a day still gets the event. Attempt 8 failing ends the delivery.
 */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
  5 * 3600_000,
  10 * 3600_000,
  10 * 3600_000,
] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/**
 * Jitter spreads the retries of deliveries that failed together (a receiver outage) by +-10 %;
 * at -10 % the whole schedule still spans more than 24 h.
 */
const JITTER = 0.1;

/** A receiver may ask for a longer wait, never more than a day between two attempts. */
const RETRY_AFTER_MAX_MS = 24 * 3600_000;

/**
 * When attempt `attempt` (1-based) failed at `now`: the next attempt's time, or null when the
 * schedule is spent. A `Retry-After` longer than the scheduled delay is honoured; a shorter one is
 * not, so a receiver cannot spend the whole schedule in seconds.
 */
export function nextAttemptAt(
  attempt: number,
  now: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const base = RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  const asked = retryAfterMs === null ? 0 : Math.min(retryAfterMs, RETRY_AFTER_MAX_MS);
  return now + Math.max(jittered, asked);
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 10.2.3), in ms from `now`; null when absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

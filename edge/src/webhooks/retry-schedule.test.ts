import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, nextAttemptAt, parseRetryAfter, RETRY_DELAYS_MS } from './retry-schedule';

describe('webhook retry schedule', () => {
  it('spans more than 24 hours even with the earliest jitter', () => {
    let at = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++)
      at = nextAttemptAt(attempt, at, null, () => 0) as number;
    expect(at).toBeGreaterThan(24 * 3600_000);
    expect(nextAttemptAt(MAX_ATTEMPTS, at, null)).toBeNull();
  });

  it('jitters each delay within +-10 %', () => {
    RETRY_DELAYS_MS.forEach((delay, i) => {
      expect(nextAttemptAt(i + 1, 0, null, () => 0)).toBe(Math.round(delay * 0.9));
      expect(nextAttemptAt(i + 1, 0, null, () => 1)).toBe(Math.round(delay * 1.1));
    });
  });

  it('honours a Retry-After longer than the scheduled delay, never a shorter one, capped at a day', () => {
    expect(nextAttemptAt(1, 1_000, 120_000, () => 0.5)).toBe(121_000);
    expect(nextAttemptAt(3, 0, 1_000, () => 0.5)).toBe(RETRY_DELAYS_MS[2]);
    expect(nextAttemptAt(1, 0, 10 * 24 * 3600_000, () => 0.5)).toBe(24 * 3600_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

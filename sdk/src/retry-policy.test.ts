import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter } from './retry-policy';

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const options = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };

  it('draws uniformly below a ceiling that doubles per attempt and is capped', () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, options, undefined, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(3, options, undefined, () => 0)).toBe(0);
    expect(backoffDelay(3, options, undefined, () => 0.5)).toBe(400);
  });

  it('never waits less than Retry-After, and adds at most 10% jitter to it', () => {
    expect(backoffDelay(0, options, 2000, () => 0)).toBe(2000);
    expect(backoffDelay(5, options, 2000, () => 1)).toBe(2200);
  });
});

describe('isRetryableStatus', () => {
  it('retries 408, 429 and 5xx except 501, nothing else', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 402, 403, 404, 409, 413, 422, 501].some(isRetryableStatus)).toBe(false);
  });
});

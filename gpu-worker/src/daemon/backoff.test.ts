import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from './backoff';

describe('backoff with full jitter', () => {
  it('doubles its ceiling per attempt up to the cap', () => {
    const top = (attempt: number) => backoffDelay(attempt, { baseMs: 100, maxMs: 1_000, random: () => 1 });
    expect([0, 1, 2, 3, 4, 10].map(top)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(5, { baseMs: 100, maxMs: 1_000, random: () => 0 })).toBe(0);
  });

  it('spreads retries of many clients across the window', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, { baseMs: 100, maxMs: 10_000 }));
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it('sleep stops early when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(sleep(5_000, controller.signal)).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

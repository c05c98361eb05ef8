import { describe, expect, it } from 'vitest';
import { WaiterPool } from './waiter-pool';

describe('WaiterPool', () => {
  it('times out a waiter nobody wakes', async () => {
    const pool = new WaiterPool();
    const started = Date.now();
    expect(await pool.wait(50)).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(pool.size).toBe(0);
  });

  it('wakes every parked waiter at once', async () => {
    const pool = new WaiterPool();
    const waits = [pool.wait(5_000), pool.wait(5_000), pool.wait(5_000)];
    expect(pool.size).toBe(3);
    expect(pool.wake()).toBe(3);
    expect(await Promise.all(waits)).toEqual(['woken', 'woken', 'woken']);
    expect(pool.size).toBe(0);
  });

  it('counts a wake that came just before the waiter (the read-then-park gap)', async () => {
    let now = 1_000;
    const pool = new WaiterPool({ recentWakeMs: 500, now: () => now });
    pool.wake();
    now += 400;
    expect(await pool.wait(5_000)).toBe('woken');
  });

  it('does not count an old wake', async () => {
    let now = 1_000;
    const pool = new WaiterPool({ recentWakeMs: 500, now: () => now });
    pool.wake();
    now += 600;
    expect(await pool.wait(30)).toBe('timeout');
  });
});

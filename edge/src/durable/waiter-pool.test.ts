import { describe, expect, it } from 'vitest';
import { WaiterPool } from './waiter-pool';

describe('WaiterPool', () => {
  it('times out a waiter nobody wakes', async () => {
    const pool = new WaiterPool();
    const started = Date.now();
    expect(await pool.wait(50)).toEqual({ outcome: 'timeout', generation: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(pool.size).toBe(0);
  });

  it('wakes every parked waiter at once', async () => {
    const pool = new WaiterPool();
    const waits = [pool.wait(5_000), pool.wait(5_000), pool.wait(5_000, 0)];
    expect(pool.size).toBe(3);
    expect(pool.wake()).toBe(3);
    expect((await Promise.all(waits)).map((w) => w.outcome)).toEqual(['woken', 'woken', 'woken']);
    expect(pool.size).toBe(0);
  });

  it("counts a wake that came just before a caller's first wait (the read-then-park gap)", async () => {
    let now = 1_000;
    const pool = new WaiterPool({ recentWakeMs: 500, now: () => now });
    pool.wake();
    now += 400;
    expect(await pool.wait(5_000)).toEqual({ outcome: 'woken', generation: 1 });
  });

  it('does not count an old wake', async () => {
    let now = 1_000;
    const pool = new WaiterPool({ recentWakeMs: 500, now: () => now });
    pool.wake();
    now += 600;
    expect((await pool.wait(30)).outcome).toBe('timeout');
  });

  it('counts a wake once per caller: the next wait with the seen generation parks', async () => {
    const pool = new WaiterPool({ recentWakeMs: 60_000 });
    pool.wake();
    const first = await pool.wait(5_000);
    expect(first.outcome).toBe('woken');
    expect((await pool.wait(30, first.generation)).outcome).toBe('timeout');
  });

  it('counts a wake missed between two waits of one caller', async () => {
    const pool = new WaiterPool();
    const first = await pool.wait(10);
    pool.wake();
    expect(await pool.wait(5_000, first.generation)).toEqual({ outcome: 'woken', generation: 1 });
  });
});

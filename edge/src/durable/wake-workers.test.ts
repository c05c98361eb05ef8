import { describe, expect, it, vi } from 'vitest';
import { WaiterPool } from './waiter-pool';
import { type SeenWakes, waitForWork, wakeWorkers } from './wake-workers';

// Stands in for the Durable Object namespace binding (the runtime's, not our code); the objects
// behind it are real WaiterPools, one per model, as in QueueWaker.
function namespaceOf(pools: Map<string, WaiterPool>, failing = false) {
  return {
    QUEUE_WAKER: {
      idFromName: (name: string) => name,
      get: (name: string) => {
        if (failing) {
          const reset = () => Promise.reject(new Error('Durable Object reset'));
          return { waitForWork: reset, wake: reset };
        }
        let pool = pools.get(name);
        if (!pool) {
          pool = new WaiterPool();
          pools.set(name, pool);
        }
        const found = pool;
        return {
          waitForWork: (ms: number, seen?: number) => found.wait(ms, seen),
          wake: async () => found.wake(),
        };
      },
    },
  } as unknown as Pick<Env, 'QUEUE_WAKER'>;
}

describe('waitForWork / wakeWorkers', () => {
  it('returns when any of the models is woken, and remembers what it saw', async () => {
    const pools = new Map<string, WaiterPool>();
    const env = namespaceOf(pools);
    const seen: SeenWakes = new Map();
    const waiting = waitForWork(env, ['a', 'b'], 5_000, seen);
    await wakeWorkers(env, 'b');
    expect(await waiting).toBe('woken');
    expect(seen.get('b')).toBe(1);
    // The same wake does not count twice for this caller.
    expect(await waitForWork(env, ['b'], 30, seen)).toBe('timeout');
  });

  it('degrades to a one-second poll when the object cannot be reached, and wake never throws', async () => {
    const env = namespaceOf(new Map(), true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(wakeWorkers(env, 'a')).resolves.toBeUndefined();
    const started = Date.now();
    expect(await waitForWork(env, ['a'], 20_000)).toBe('timeout');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5_000);
    warn.mockRestore();
  });
});

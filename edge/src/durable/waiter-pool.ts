export type WaitOutcome = 'woken' | 'timeout';

export interface WaiterPoolOptions {
  /**
   * A wake this recent counts for a waiter that arrives after it. A lease call reads Redis (empty),
   * then parks: a job submitted in between would otherwise wait for the next safety poll.
   */
  recentWakeMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

/**
 * The waiting lease calls of one model. A wake releases every waiter: each re-reads Redis, one
 * gets the job and the rest park again. Waking them all costs one lease read per idle worker per
 * submit, but only while workers are idle (with a backlog nobody parks), and it never strands a
 * job on a waiter whose caller already left (a disconnected worker cannot be told apart here).
 */
export class WaiterPool {
  private readonly waiters = new Set<(outcome: WaitOutcome) => void>();
  private readonly recentWakeMs: number;
  private readonly now: () => number;
  private lastWakeAt = Number.NEGATIVE_INFINITY;

  constructor(options: WaiterPoolOptions = {}) {
    this.recentWakeMs = options.recentWakeMs ?? 500;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.waiters.size;
  }

  wait(timeoutMs: number): Promise<WaitOutcome> {
    if (this.now() - this.lastWakeAt <= this.recentWakeMs) return Promise.resolve('woken');
    return new Promise((resolve) => {
      const settle = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        this.waiters.delete(settle);
        resolve(outcome);
      };
      const timer = setTimeout(() => settle('timeout'), Math.max(0, timeoutMs));
      this.waiters.add(settle);
    });
  }

  /** Releases every waiter; returns how many there were. */
  wake(): number {
    this.lastWakeAt = this.now();
    const woken = [...this.waiters];
    for (const settle of woken) settle('woken');
    return woken.length;
  }
}

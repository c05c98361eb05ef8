export interface WaitResult {
  outcome: 'woken' | 'timeout';
  /** Wakes so far; pass it to the next wait so only a newer wake counts. */
  generation: number;
}

export interface WaiterPoolOptions {
  /**
   * For a caller's first wait: a wake this recent counts. A lease call reads Redis (empty), then
   * parks; a job submitted in between would otherwise wait for the next safety poll.
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
  private readonly waiters = new Set<(outcome: WaitResult['outcome']) => void>();
  private readonly recentWakeMs: number;
  private readonly now: () => number;
  private lastWakeAt = Number.NEGATIVE_INFINITY;
  private generation = 0;

  constructor(options: WaiterPoolOptions = {}) {
    this.recentWakeMs = options.recentWakeMs ?? 500;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.waiters.size;
  }

  /**
   * Parks until the next wake or the timeout. `seenGeneration` (from this caller's previous wait)
   * makes a wake the caller already acted on not count again; without it, a recent wake does.
   */
  wait(timeoutMs: number, seenGeneration?: number): Promise<WaitResult> {
    const missed =
      seenGeneration === undefined
        ? this.now() - this.lastWakeAt <= this.recentWakeMs
        : this.generation > seenGeneration;
    if (missed) return Promise.resolve({ outcome: 'woken', generation: this.generation });
    return new Promise((resolve) => {
      const settle = (outcome: WaitResult['outcome']) => {
        clearTimeout(timer);
        this.waiters.delete(settle);
        resolve({ outcome, generation: this.generation });
      };
      const timer = setTimeout(() => settle('timeout'), Math.max(0, timeoutMs));
      this.waiters.add(settle);
    });
  }

  /** Releases every waiter; returns how many there were. */
  wake(): number {
    this.lastWakeAt = this.now();
    this.generation += 1;
    const woken = [...this.waiters];
    for (const settle of woken) settle('woken');
    return woken.length;
  }
}

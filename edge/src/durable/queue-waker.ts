import { DurableObject } from 'cloudflare:workers';
import { WaiterPool, type WaitResult } from './waiter-pool';

/** Longest single wait; the lease route asks for less (its safety poll), this only bounds abuse. */
const MAX_WAIT_MS = 60_000;

/**
 * One per model (idFromName(model)): long-polling lease calls park here and the submit path wakes
 * them (DESIGN decision 2). It holds no state worth keeping: Redis stays the source of truth, a
 * wake only means "look now", and a lost wake costs at most one safety-poll interval.
 */
export class QueueWaker extends DurableObject<Env> {
  private readonly pool = new WaiterPool();

  waitForWork(timeoutMs: number, seenGeneration?: number): Promise<WaitResult> {
    return this.pool.wait(Math.min(Math.max(0, timeoutMs), MAX_WAIT_MS), seenGeneration);
  }

  wake(): number {
    return this.pool.wake();
  }
}

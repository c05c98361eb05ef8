import { DurableObject } from 'cloudflare:workers';
import { WaiterPool, type WaitResult } from './waiter-pool';
import { type SlotGrant, WatchSlots } from './watch-slots';

/** Longest single wait; the lease route asks for less (its safety poll), this only bounds abuse. */
const MAX_WAIT_MS = 60_000;

/**
 * A wake point, named by what it wakes (idFromName):
 * - a model's name: long-polling lease calls park here and the submit path wakes them (DESIGN
 *   decision 2);
 * - `job:{jobId}`: `/events` streams and `Prefer: wait` requests watching that job park here, and
 *   every change of the job (lease, heartbeat, complete, fail, cancel, requeue) wakes them;
 * - `watchers:{accountId}` (and `signed-stream:{jobId}`, a signed URL's opens): counts the open
 *   watches (streams and waits) against their limit (`acquireSlot`/`releaseSlot`).
 * It holds no job state: Redis stays the source of truth, a wake only means "look now", and a lost
 * wake costs at most one safety-poll interval. (One class for all three keeps one binding and one
 * migration; the name decides what an instance is used for.)
 */
export class QueueWaker extends DurableObject<Env> {
  private readonly pool = new WaiterPool();
  private slots: WatchSlots | undefined;

  waitForWork(timeoutMs: number, seenGeneration?: number): Promise<WaitResult> {
    return this.pool.wait(Math.min(Math.max(0, timeoutMs), MAX_WAIT_MS), seenGeneration);
  }

  wake(): number {
    return this.pool.wake();
  }

  /** A watch slot when fewer than `limit` are held (each expires after `ttlMs` if never released). */
  async acquireSlot(limit: number, ttlMs: number): Promise<SlotGrant> {
    return (await this.loadSlots()).acquire(limit, ttlMs);
  }

  async releaseSlot(id: string): Promise<void> {
    (await this.loadSlots()).release(id);
  }

  /** Slots live in the object's storage, so an evicted and restarted object still counts them. */
  private async loadSlots(): Promise<WatchSlots> {
    if (!this.slots) {
      const stored = await this.ctx.storage.get<Record<string, number>>('slots');
      this.slots = new WatchSlots(stored ?? {}, (held) => this.ctx.storage.put('slots', held));
    }
    return this.slots;
  }
}

export type SlotGrant = { ok: true; id: string } | { ok: false; held: number };

/**
 * An account's open watches (event streams, `Prefer: wait` requests), each a slot with an expiry:
 * a request that dies without releasing its slot (an isolate evicted mid-stream) frees it when the
 * expiry passes, never later than the longest watch plus a margin.
 */
export class WatchSlots {
  constructor(
    private readonly held: Record<string, number>,
    private readonly persist: (held: Record<string, number>) => unknown,
    private readonly now: () => number = Date.now,
  ) {}

  acquire(limit: number, ttlMs: number): SlotGrant {
    const now = this.now();
    for (const [id, expires] of Object.entries(this.held)) if (expires <= now) delete this.held[id];
    const count = Object.keys(this.held).length;
    if (count >= limit) return { ok: false, held: count };
    const id = crypto.randomUUID();
    this.held[id] = now + ttlMs;
    this.persist(this.held);
    return { ok: true, id };
  }

  release(id: string): void {
    if (!(id in this.held)) return;
    delete this.held[id];
    this.persist(this.held);
  }
}

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

  /** The same over plain fetch (`POST /wake`, `POST /wait?ms=`), for callers not using RPC. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/wake') return Response.json({ woken: this.wake() });
    if (request.method === 'POST' && url.pathname === '/wait') {
      const seen = url.searchParams.get('seen');
      return Response.json(
        await this.waitForWork(Number(url.searchParams.get('ms') ?? 0), seen ? Number(seen) : undefined),
      );
    }
    return new Response('not found', { status: 404 });
  }
}

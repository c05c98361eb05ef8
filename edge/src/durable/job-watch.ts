import type { QueueWaker } from './queue-waker';
import type { SlotGrant } from './watch-slots';

type WakerEnv = Pick<Env, 'QUEUE_WAKER'>;

function waker(env: WakerEnv, name: string) {
  const namespace = env.QUEUE_WAKER as DurableObjectNamespace<QueueWaker>;
  return namespace.get(namespace.idFromName(name));
}

const jobPoint = (jobId: string) => `job:${jobId}`;
/**
 * A pool of watch slots: an account's (`watchers:{accountId}`), or one a signed URL's opens share
 * (`signed-stream:{jobId}`) so that whoever holds the URL cannot use up the owner's.
 */
export const accountWatchPool = (accountId: string) => `watchers:${accountId}`;
export const signedStreamWatchPool = (jobId: string) => `signed-stream:${jobId}`;

/**
 * Takes one of the pool's watch slots (an `/events` stream or a `Prefer: wait` request), or
 * says how many are held. A waker that cannot be reached grants the slot: the limit protects
 * Redis from polling, and a watch without a waker falls back to the slow safety poll anyway.
 */
export async function acquireWatchSlot(
  env: WakerEnv,
  pool: string,
  limit: number,
  ttlMs: number,
): Promise<SlotGrant> {
  try {
    return await waker(env, pool).acquireSlot(limit, ttlMs);
  } catch (error) {
    console.warn(
      'acquireWatchSlot failed; watching without a slot:',
      error instanceof Error ? error.message : error,
    );
    return { ok: true, id: '' };
  }
}

export async function releaseWatchSlot(env: WakerEnv, pool: string, id: string): Promise<void> {
  if (!id) return;
  try {
    await waker(env, pool).releaseSlot(id);
  } catch {
    // The slot expires by itself.
  }
}

/** What each job's waker had counted at this watcher's last wait (see WaiterPool.wait). */
export type SeenJobWakes = Map<string, number>;

/**
 * Parks until one of `jobIds` changes (a coalesced follower watches its leader too) or `timeoutMs`
 * passes; the caller then reads Redis. Never throws: without a waker it just sleeps the timeout.
 */
export async function waitForJobChange(
  env: WakerEnv,
  jobIds: string[],
  timeoutMs: number,
  seen: SeenJobWakes,
): Promise<'woken' | 'timeout'> {
  try {
    return await Promise.race(
      jobIds.map(async (jobId) => {
        const result = await waker(env, jobPoint(jobId)).waitForWork(timeoutMs, seen.get(jobId));
        seen.set(jobId, result.generation);
        return result.outcome;
      }),
    );
  } catch (error) {
    console.warn(
      'waitForJobChange failed; sleeping instead:',
      error instanceof Error ? error.message : error,
    );
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    return 'timeout';
  }
}

/**
 * Tells whoever watches `jobId` to read it now. Call it (in waitUntil) after every change of a
 * job a customer may be watching. Never throws: a lost wake costs one safety-poll interval.
 */
export async function wakeJobWatchers(env: WakerEnv, jobId: string): Promise<void> {
  try {
    await waker(env, jobPoint(jobId)).wake();
  } catch (error) {
    console.warn(`wakeJobWatchers(${jobId}) failed:`, error instanceof Error ? error.message : error);
  }
}

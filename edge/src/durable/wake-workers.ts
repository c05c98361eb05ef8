import type { QueueWaker } from './queue-waker';
import type { WaitResult } from './waiter-pool';

type WakerEnv = Pick<Env, 'QUEUE_WAKER'>;

/** Re-read interval of a parked lease call while its queue waker cannot be reached. */
const DEGRADED_POLL_MS = 1_000;

function wakerFor(env: WakerEnv, model: string) {
  const namespace = env.QUEUE_WAKER as DurableObjectNamespace<QueueWaker>;
  return namespace.get(namespace.idFromName(model));
}

/**
 * Tells the lease calls parked on `model` to look at Redis now. Call it after a job is queued
 * (submit, requeue), e.g. `c.executionCtx.waitUntil(wakeWorkers(c.env, model))`. Never throws: a
 * lost wake is covered by the lease route's safety poll.
 */
export async function wakeWorkers(env: WakerEnv, model: string): Promise<void> {
  try {
    await wakerFor(env, model).wake();
  } catch (error) {
    console.warn(`wakeWorkers(${model}) failed; workers will see the job at their next poll:`, error);
  }
}

/** What each model's waker had counted at a caller's last wait; see WaiterPool.wait. */
export type SeenWakes = Map<string, number>;

/**
 * Parks until any of `models` is woken or `timeoutMs` passes. `seen` carries the wake counts
 * between the waits of one lease call, so a wake it already acted on does not end the next wait.
 * Waiters left on the other models' objects time out on their own (bounded by the same timeout).
 */
export async function waitForWork(
  env: WakerEnv,
  models: string[],
  timeoutMs: number,
  seen: SeenWakes = new Map(),
): Promise<WaitResult['outcome']> {
  try {
    return await Promise.race(
      models.map(async (model) => {
        const result = await wakerFor(env, model).waitForWork(timeoutMs, seen.get(model));
        seen.set(model, result.generation);
        return result.outcome;
      }),
    );
  } catch (error) {
    // The object was reset or is unreachable: degrade to polling once a second, which keeps
    // dispatch within a second and an idle worker at about one Redis read per second.
    console.warn('waitForWork failed; polling instead:', error instanceof Error ? error.message : error);
    await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, DEGRADED_POLL_MS)));
    return 'timeout';
  }
}

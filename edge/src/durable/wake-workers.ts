import type { QueueWaker } from './queue-waker';
import type { WaitResult } from './waiter-pool';

type WakerEnv = Pick<Env, 'QUEUE_WAKER'>;

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
    // An unreachable object must not turn into a hot loop of Redis reads: wait the time out here.
    console.warn('waitForWork failed; sleeping instead:', error);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    return 'timeout';
  }
}

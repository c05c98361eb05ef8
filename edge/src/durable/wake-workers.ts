import type { QueueWaker } from './queue-waker';
import type { WaitOutcome } from './waiter-pool';

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

/**
 * Parks until any of `models` is woken or `timeoutMs` passes. Waiters left on the other models'
 * objects time out on their own (bounded by the same timeout).
 */
export async function waitForWork(env: WakerEnv, models: string[], timeoutMs: number): Promise<WaitOutcome> {
  try {
    return await Promise.race(models.map((model) => wakerFor(env, model).waitForWork(timeoutMs)));
  } catch (error) {
    // An unreachable object must not turn into a hot loop of Redis reads: wait the time out here.
    console.warn('waitForWork failed; sleeping instead:', error);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    return 'timeout';
  }
}

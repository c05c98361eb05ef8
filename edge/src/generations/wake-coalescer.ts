import { wakeWorkers } from '../durable/wake-workers';

interface Pending {
  /** Another job was queued after the wake in flight was sent: wake once more when it returns. */
  again: boolean;
}

const pending = new Map<string, Pending>();

/**
 * Wakes the model's parked lease calls after a submit, at most one wake in flight per model per
 * isolate. A wake is a Durable Object call, and paying one per submit halved submit throughput
 * under load (measured by `npm run bench:edge`); submits that arrive while a wake is in flight
 * only mark that one more is due, and it is sent as soon as the current one returns, so no job is
 * left without a wake after it was queued. The loop runs in the first submit's own context, kept
 * alive by its waitUntil; later submits share no promise or I/O with it, as Workers require.
 */
export function wakeAfterSubmit(env: Env, model: string): Promise<void> | undefined {
  const current = pending.get(model);
  if (current) {
    current.again = true;
    return undefined;
  }
  const state: Pending = { again: false };
  pending.set(model, state);
  return (async () => {
    try {
      do {
        state.again = false;
        await wakeWorkers(env, model);
      } while (state.again);
    } finally {
      pending.delete(model);
    }
  })();
}

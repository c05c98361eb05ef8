import { wakeWorkers } from '../durable/wake-workers';

interface Pending {
  /** Another job was queued after the wake in flight was sent: wake once more when it returns. */
  again: boolean;
}

const pending = new Map<string, Pending>();

/** Least time between two wakes of one model from one isolate (the first one is never delayed). */
const WAKE_SPACING_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wakes the model's parked lease calls after a submit, at most one wake in flight per model per
 * isolate. A wake is a Durable Object call, and paying one per submit halved submit throughput
 * under load (measured by `npm run bench:edge`); submits that arrive while a wake is in flight
 * only mark that one more is due, and it is sent when the current one returns (no sooner than
 * WAKE_SPACING_MS after it), so no job is left without a wake after it was queued. The loop runs in the first submit's own context, kept
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
        const started = Date.now();
        await wakeWorkers(env, model);
        // A burst is served by the workers the first wake woke (they lease several jobs at once);
        // spacing the follow-up wakes keeps their cost bounded under load.
        if (state.again) await sleep(Math.max(0, WAKE_SPACING_MS - (Date.now() - started)));
      } while (state.again);
    } finally {
      pending.delete(model);
    }
  })();
}

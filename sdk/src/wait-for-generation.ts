import type { Generation } from '@ldm/shared';
import { LdmApiError, LdmTimeoutError } from './errors';
import { type GenerationEvent, isTerminal } from './generation-events';
import { abortableSleep } from './sleep';

/** A change of status or step, as `run()` and `wait()` report it. */
export interface ProgressUpdate {
  id: string;
  status: Generation['status'];
  step: number;
  total: number;
  /** 0-1; 1 once succeeded. */
  fraction: number;
  /** The latest known state (its progress and status merged from the event stream). */
  generation: Generation;
}

export interface WaitOptions {
  onProgress?: (update: ProgressUpdate) => void;
  signal?: AbortSignal;
  /** Give up waiting (the job keeps running) after this long: LdmTimeoutError. No limit by default. */
  timeoutMs?: number;
  /** `sse` (default) falls back to polling when the event stream is unavailable. */
  transport?: 'sse' | 'poll';
  /** First polling interval; grows to `maxPollIntervalMs`. Default 250. */
  pollIntervalMs?: number;
  /** Default 2000. */
  maxPollIntervalMs?: number;
}

/** What the waiter needs from the client; narrow so it reads as one idea. */
export interface WaitTransport {
  get(id: string, options: { signal?: AbortSignal }): Promise<Generation>;
  events(
    id: string,
    options: { signal?: AbortSignal; lastEventId?: string },
  ): AsyncGenerator<GenerationEvent>;
}

/** Stream failures in a row after which the waiter polls instead. */
const SSE_FAILURES_BEFORE_POLLING = 2;
const DEFAULT_RECONNECT_MS = 1_000;

/**
 * Waits for a generation to end. Follows the event stream (lowest latency, one connection);
 * when the stream ends early it reconnects with `Last-Event-ID`, and when it cannot be opened
 * (a proxy that buffers, an old edge) it polls with a growing interval. The final object always
 * comes from `GET /v1/generations/{id}`, so it has the outputs whatever the events carried.
 */
export async function waitForGeneration(
  transport: WaitTransport,
  start: Generation | string,
  options: WaitOptions = {},
): Promise<Generation> {
  const { signal, cleanup } = deadlineSignal(options.signal, options.timeoutMs);
  try {
    let current = typeof start === 'string' ? await transport.get(start, { signal }) : start;
    const report = progressReporter(options.onProgress);
    report(current);
    if (isTerminal(current.status)) return current;

    let sseFailures = options.transport === 'poll' ? SSE_FAILURES_BEFORE_POLLING : 0;
    let lastEventId: string | undefined;
    let pollMs = options.pollIntervalMs ?? 250;
    for (;;) {
      if (sseFailures < SSE_FAILURES_BEFORE_POLLING) {
        let reconnectMs = DEFAULT_RECONNECT_MS;
        let received = 0;
        try {
          for await (const event of transport.events(current.id, { signal, lastEventId })) {
            received++;
            sseFailures = 0;
            if (event.raw.id) lastEventId = event.raw.id;
            if (event.raw.retry !== undefined) reconnectMs = event.raw.retry;
            current = merge(current, event);
            report(current);
            if (event.final) break;
          }
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          // Bad credentials will not get better by polling.
          if (error instanceof LdmApiError && (error.status === 401 || error.status === 403)) throw error;
          sseFailures++;
        }
        // A stream that closes without saying anything is as good as none.
        if (received === 0 && sseFailures === 0) sseFailures++;
        current = await transport.get(current.id, { signal });
        report(current);
        if (isTerminal(current.status)) return current;
        // The stream closed early (a proxy's idle timeout, a redeploy): reconnect after the server's delay.
        await abortableSleep(sseFailures === 0 ? reconnectMs : pollMs, signal);
      } else {
        await abortableSleep(pollMs, signal);
        pollMs = Math.min(options.maxPollIntervalMs ?? 2_000, Math.round(pollMs * 1.5));
        current = await transport.get(current.id, { signal });
        report(current);
        if (isTerminal(current.status)) return current;
      }
    }
  } finally {
    cleanup();
  }
}

function merge(current: Generation, event: GenerationEvent): Generation {
  if (event.generation) return event.generation;
  return {
    ...current,
    ...(event.status ? { status: event.status } : {}),
    ...(event.progress !== undefined ? { progress: event.progress } : {}),
  };
}

/** Calls back once per distinct (status, step, total), so a chatty stream does not repaint. */
function progressReporter(onProgress: WaitOptions['onProgress']): (generation: Generation) => void {
  let last = '';
  return (generation) => {
    if (!onProgress) return;
    const step = generation.progress?.step ?? 0;
    const total = generation.progress?.total ?? 0;
    const key = `${generation.status}:${step}/${total}`;
    if (key === last) return;
    last = key;
    const fraction = generation.status === 'succeeded' ? 1 : total > 0 ? Math.min(1, step / total) : 0;
    onProgress({ id: generation.id, status: generation.status, step, total, fraction, generation });
  };
}

/** The caller's signal, also aborted with an LdmTimeoutError once `timeoutMs` passes. */
function deadlineSignal(outer: AbortSignal | undefined, timeoutMs: number | undefined) {
  const controller = new AbortController();
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  outer?.addEventListener('abort', forward, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new LdmTimeoutError(`the generation did not finish within ${timeoutMs} ms`, timeoutMs),
            ),
          timeoutMs,
        );
  return {
    signal: controller.signal,
    cleanup: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    },
  };
}

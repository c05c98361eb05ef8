import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';

export interface DrainUnreadBodyOptions {
  /** Most bytes of an unread body read and thrown away before answering; beyond it, give up. */
  maxDrainBytes: number;
  /** Stop waiting for more of the body once the client has sent nothing for this long (ms). */
  idleMs?: number;
  /** Stop draining this long (ms) after it began, however steadily the client trickles. */
  totalMs?: number;
}

/**
 * Reads to its end (and discards) any request body the app answered without reading: a 401, a
 * 404, a 413 by Content-Length. workerd closes the connection once the answer is sent; with bytes
 * of the body still unread, the kernel answers them with a TCP reset and the client sees its
 * write fail ("terminated", ECONNRESET) instead of the JSON error. Draining costs no memory (each
 * chunk is dropped) and only the time the client takes to send what it chose to send. It runs
 * before the answer goes out: reading the body in `waitUntil` after the answer was tried, and
 * workerd still reset about one connection in three.
 *
 * Bounded twice: past `maxDrainBytes` the rest is abandoned (Cloudflare's own front end refuses
 * bodies over its plan limit, 100 MB, before the Worker runs), and a client that stops sending
 * (one that announced a large body and waits for an early answer) is answered after `idleMs`,
 * and one that trickles a byte now and then (each byte restarting the idle timer) after `totalMs`.
 */
export function drainUnreadBody(options: DrainUnreadBodyOptions): MiddlewareHandler<AppEnv> {
  const { maxDrainBytes } = options;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const totalMs = options.totalMs ?? DEFAULT_DRAIN_TOTAL_MS;
  if (!Number.isInteger(maxDrainBytes) || maxDrainBytes <= 0) {
    throw new Error('drainUnreadBody: maxDrainBytes must be a positive integer');
  }
  return async function drainUnreadBodyMiddleware(c, next) {
    const original = c.req.raw;
    await next();
    if (original.body && !original.bodyUsed && !original.body.locked) {
      await discard(original.body.getReader(), maxDrainBytes, idleMs, totalMs);
    }
  };
}

const IDLE = Symbol('idle');

/**
 * How long a silent client is waited for. Long enough that a client starved of CPU (a loaded
 * machine running many test files) is not cut off mid-body, which resets its connection.
 */
export const DEFAULT_IDLE_MS = 3_000;

/**
 * Longest a drain may take in all: without it a client sending one byte every idleMs - 1 holds the
 * request (and its answer) open for as long as it likes.
 */
export const DEFAULT_DRAIN_TOTAL_MS = 15_000;

/**
 * Reads and drops chunks until the stream ends, `maxBytes` were read, `totalMs` passed since it
 * began, or (with `idleMs`) no chunk came for that long; never throws.
 */
export async function discard(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  idleMs?: number,
  totalMs = DEFAULT_DRAIN_TOTAL_MS,
): Promise<void> {
  let read = 0;
  const deadline = Date.now() + totalMs;
  try {
    while (read <= maxBytes) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const wait = idleMs === undefined ? left : Math.min(idleMs, left);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<typeof IDLE>((resolve) => {
        timer = setTimeout(() => resolve(IDLE), wait);
      });
      const next = await Promise.race([reader.read(), idle]);
      clearTimeout(timer);
      if (next === IDLE) break;
      if (next.done) return;
      read += next.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing left to protect.
  }
}

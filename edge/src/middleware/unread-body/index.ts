import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';

export interface DrainUnreadBodyOptions {
  /** Most bytes of an unread body read and thrown away before answering; beyond it, give up. */
  maxDrainBytes: number;
}

/**
 * Reads to its end (and discards) any request body the app answered without reading: a 401, a
 * 404, a 413 by Content-Length. workerd closes the connection once the answer is sent; with bytes
 * of the body still unread, the kernel answers them with a TCP reset and the client sees its
 * write fail ("terminated", ECONNRESET) instead of the JSON error. Draining costs no memory (each
 * chunk is dropped) and only the time the client takes to send what it chose to send. A body
 * longer than `maxDrainBytes` is abandoned: such a client may see a reset (Cloudflare's own front
 * end refuses bodies over its plan limit, 100 MB, before the Worker runs).
 */
export function drainUnreadBody(options: DrainUnreadBodyOptions): MiddlewareHandler<AppEnv> {
  const { maxDrainBytes } = options;
  if (!Number.isInteger(maxDrainBytes) || maxDrainBytes <= 0) {
    throw new Error('drainUnreadBody: maxDrainBytes must be a positive integer');
  }
  return async function drainUnreadBodyMiddleware(c, next) {
    const original = c.req.raw;
    await next();
    if (original.body && !original.bodyUsed && !original.body.locked) {
      await discard(original.body.getReader(), maxDrainBytes);
    }
  };
}

/** Reads and drops chunks until the stream ends or `maxBytes` were read; never throws. */
export async function discard(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<void> {
  let read = 0;
  try {
    while (read <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing left to protect.
  }
}

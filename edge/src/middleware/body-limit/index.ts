import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { DEFAULT_IDLE_MS, discard } from '../unread-body';

export interface BodyLimitOptions {
  maxBytes: number;
  /** Bytes of an oversized chunked body read (and dropped) before answering 413; see unread-body. */
  maxDrainBytes?: number;
}

/** The drain ceiling when none is given: Cloudflare's own request-body limit on most plans. */
export const DEFAULT_MAX_DRAIN_BYTES = 100 * 1024 * 1024;

/**
 * Refuses a body over `maxBytes` with 413 payload_too_large before anything parses it: at once
 * from Content-Length (the app-wide unread-body middleware then reads the rest, so the client gets
 * the JSON answer instead of a reset connection), or while streaming a body without one. A chunked
 * body is buffered up to the limit only; past it, the rest is read and dropped, never kept.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler<AppEnv> {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new Error('bodyLimit: maxBytes must be a positive integer');
  }
  const limit = options.maxBytes;
  const maxDrainBytes = options.maxDrainBytes ?? DEFAULT_MAX_DRAIN_BYTES;
  const tooLarge = () =>
    new ApiError('payload_too_large', `The body is larger than ${limit} bytes.`, [
      { field: '(body)', message: `must be at most ${limit} bytes`, limit },
    ]);
  return async function bodyLimitMiddleware(c, next) {
    const request = c.req.raw;
    if (!request.body) return next();
    const declared = request.headers.get('content-length');
    if (declared !== null && !request.headers.has('transfer-encoding')) {
      // workerd holds the body to its Content-Length, so the header can be trusted.
      if (Number(declared) > limit) throw tooLarge();
      return next();
    }
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        chunks.length = 0;
        await discard(reader, maxDrainBytes, DEFAULT_IDLE_MS);
        throw tooLarge();
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(request, { body, signal: request.signal });
    return next();
  };
}

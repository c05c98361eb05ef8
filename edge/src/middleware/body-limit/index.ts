import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';

export interface BodyLimitOptions {
  maxBytes: number;
}

/**
 * Refuses a body over `maxBytes` before anything parses it: at once from Content-Length, or while
 * streaming a chunked body (Hono's bodyLimit counts the bytes as they arrive).
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler<AppEnv> {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new Error('bodyLimit: maxBytes must be a positive integer');
  }
  const limit = options.maxBytes;
  return honoBodyLimit({
    maxSize: limit,
    onError: () => {
      throw new ApiError('payload_too_large', `The body is larger than ${limit} bytes.`, [
        { field: '(body)', message: `must be at most ${limit} bytes`, limit },
      ]);
    },
  }) as MiddlewareHandler<AppEnv>;
}

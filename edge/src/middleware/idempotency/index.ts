import { LIMITS } from '@ldm/shared';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';
import { fieldError } from '../../errors/api-error';
import { sha256Hex } from '../../lib/crypto';

export interface IdempotencyRequest {
  /** SHA-256 of the Idempotency-Key header (the key itself is never stored). */
  keyHash: string;
  /** SHA-256 of the body exactly as received: the same key with another body is a conflict. */
  bodyHash: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    idempotency: IdempotencyRequest | undefined;
  }
}

const KEY = /^[\x21-\x7e]+$/;

/**
 * Reads `Idempotency-Key` and hashes it with the body. The decision itself (replay the first
 * generation, 409 on another body, one job for concurrent duplicates) is taken atomically inside
 * submit-generation.lua, where no two requests can interleave.
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('idempotency-key');
    if (key === undefined) {
      c.set('idempotency', undefined);
    } else {
      const max = LIMITS.idempotencyKeyMaxChars;
      if (key.length === 0 || key.length > max) {
        throw fieldError('Idempotency-Key', `must be 1 to ${max} characters`, max);
      }
      if (!KEY.test(key)) throw fieldError('Idempotency-Key', 'must be printable ASCII without spaces');
      const [keyHash, bodyHash] = await Promise.all([sha256Hex(key), sha256Hex(await c.req.text())]);
      c.set('idempotency', { keyHash, bodyHash });
    }
    await next();
  };
}

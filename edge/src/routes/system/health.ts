import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';

const REDIS_TIMEOUT_MS = 2_000;

/** Liveness plus Redis reachability: the edge is useless without Redis, so a dead Redis is a 503. */
export const health = new Hono<AppEnv>().get('/', async (c) => {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
  });
  try {
    await Promise.race([c.get('redis').ping(), timeout]);
  } catch (error) {
    console.error(`[${c.get('requestId')}] healthz: Redis unreachable: ${(error as Error).message}`);
    throw new ApiError('service_unavailable', 'Redis is unreachable.');
  } finally {
    clearTimeout(timer);
  }
  return c.json({ status: 'ok', redis: { ok: true, latency_ms: Date.now() - started } });
});

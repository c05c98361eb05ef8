import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';
import { configFor } from '../../env';
import { redisFor } from '../../store/redis';

/** Puts the parsed configuration and the Redis clients on the context (both made once per isolate). */
export function services(): MiddlewareHandler<AppEnv> {
  return async function servicesMiddleware(c, next) {
    const config = configFor(c.env);
    c.set('config', config);
    const { direct, batched } = redisFor(config);
    c.set('redis', direct);
    c.set('batchedRedis', batched);
    await next();
  };
}

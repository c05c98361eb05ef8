import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';
import type { Config } from '../../env';
import { ApiError } from '../../errors/api-error';
import { timingSafeEqual } from '../../lib/crypto';
import { bearerToken } from '../api-key-auth/bearer';

export interface TokenAuthOptions {
  /** Which configured secret this surface accepts (ADMIN_TOKEN or WORKER_TOKEN). */
  secret: (config: Config) => string;
  /** Names the surface in the error message. */
  realm: string;
}

/** Bearer auth against one shared secret, compared in constant time. */
export function tokenAuth(options: TokenAuthOptions): MiddlewareHandler<AppEnv> {
  return async function tokenAuthMiddleware(c, next) {
    const presented = bearerToken(c.req.header('authorization'));
    if (!presented)
      throw new ApiError('unauthorized', `Missing Authorization: Bearer <${options.realm} token>.`);
    if (!(await timingSafeEqual(presented, options.secret(c.get('config'))))) {
      throw new ApiError('unauthorized', `Invalid ${options.realm} token.`);
    }
    await next();
  };
}

import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context';
import { newRequestId } from '../../lib/ids';

const INCOMING = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives every request an id, echoed as `X-Request-Id` and quoted in every error body and log
 * line. A well-formed id sent by the caller (e.g. a load balancer's) is kept so traces join up.
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header('x-request-id');
    const id = incoming && INCOMING.test(incoming) ? incoming : newRequestId();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}

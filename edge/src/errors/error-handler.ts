import type { ErrorBody } from '@ldm/shared';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../context';
import { ConfigError } from '../env';
import { ApiError } from './api-error';
import { isDependencyOutage } from './dependency-outage';

function respond(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      request_id: c.get('requestId') ?? 'unknown',
      ...(error.details?.length ? { details: error.details } : {}),
    },
  };
  return c.json(body, error.status as ContentfulStatusCode, error.headers);
}

/** The one error handler: ApiErrors as they are; anything else logged with the request id and answered 500. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return respond(c, err);
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own middlewares (e.g. a malformed request line) speak HTTPException.
    const code =
      err.status === 413 ? 'payload_too_large' : err.status === 401 ? 'unauthorized' : 'validation_error';
    return respond(c, new ApiError(code, err.message || 'bad request'));
  }
  const requestId = c.get('requestId') ?? 'unknown';
  if (err instanceof ConfigError) {
    console.error(`[${requestId}] ${err.message}`);
    return respond(
      c,
      new ApiError('service_unavailable', 'The service is misconfigured; the operator was told.'),
    );
  }
  if (isDependencyOutage(err)) {
    console.error(`[${requestId}] dependency unreachable: ${(err as Error).message}`);
    return respond(
      c,
      new ApiError(
        'service_unavailable',
        'A dependency of the service is unreachable; retry shortly.',
        undefined,
        {
          'Retry-After': '5',
        },
      ),
    );
  }
  console.error(`[${requestId}] unhandled error:`, err instanceof Error ? (err.stack ?? err.message) : err);
  return respond(
    c,
    new ApiError('internal_error', 'Internal error; quote the request id when reporting it.'),
  );
};

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, new ApiError('not_found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));

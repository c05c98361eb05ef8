import type { ErrorBody, ErrorCode } from '@ldm/shared';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { onError } from '../../errors/error-handler';

/** Replicate's `title` per platform code (its API answers `{title, detail, status}`). */
const TITLES: Partial<Record<ErrorCode, string>> = {
  unauthorized: 'Unauthenticated',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  validation_error: 'Input validation failed',
  invalid_json: 'Invalid JSON',
  rate_limited: 'Too many requests',
  concurrency_limited: 'Too many requests',
  insufficient_credits: 'Insufficient credit',
  invalid_state: 'Conflict',
  idempotency_conflict: 'Conflict',
  payload_too_large: 'Request entity too large',
  internal_error: 'Internal server error',
  service_unavailable: 'Service unavailable',
};

export interface ReplicateErrorBody {
  title: string;
  detail: string;
  status: number;
  /** As Replicate's validation errors list them. */
  invalid_fields?: { type: string; field: string; description: string }[];
}

/** The platform's error (an ApiError, or an engine answer's body) in Replicate's shape. */
export function replicateErrorResponse(
  c: Context<AppEnv>,
  status: number,
  error: ErrorBody['error'],
  headers: Record<string, string> = {},
): Response {
  const body: ReplicateErrorBody = {
    title: TITLES[error.code] ?? 'Error',
    detail: error.message,
    status,
    ...(error.details?.length
      ? {
          invalid_fields: error.details.map((d) => ({
            type: error.code,
            field: d.field,
            description: d.message,
          })),
        }
      : {}),
  };
  return c.json(body, status as ContentfulStatusCode, headers);
}

/** An engine answer that was not a success, passed on with its Retry-After. */
export function fromEngine(
  c: Context<AppEnv>,
  answer: { status: number; body: ErrorBody; headers: Headers },
) {
  const headers: Record<string, string> = {};
  for (const name of ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
    const value = answer.headers.get(name);
    if (value) headers[name] = value;
  }
  return replicateErrorResponse(c, answer.status, answer.body.error, headers);
}

export const onReplicateError: ErrorHandler<AppEnv> = async (err, c) => {
  if (err instanceof ApiError) {
    const body = { code: err.code, message: err.message, request_id: '', details: err.details };
    return replicateErrorResponse(c, err.status, body, err.headers);
  }
  const platform = (await onError(err, c)) as Response;
  const body = (await platform.json()) as ErrorBody;
  return fromEngine(c, { status: platform.status, body, headers: platform.headers });
};

export const onReplicateNotFound: NotFoundHandler<AppEnv> = (c) =>
  c.json(
    {
      title: 'Not found',
      detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`,
      status: 404,
    },
    404,
  );

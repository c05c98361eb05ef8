import type { ErrorBody, OpenAIError } from '@ldm/shared';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { onError } from '../../errors/error-handler';

/** OpenAI's error `type` per platform code (its own API uses these names). */
const TYPES: Partial<Record<ApiError['code'], string>> = {
  unauthorized: 'invalid_request_error',
  forbidden: 'invalid_request_error',
  rate_limited: 'requests',
  concurrency_limited: 'requests',
  insufficient_credits: 'insufficient_quota',
  internal_error: 'server_error',
  service_unavailable: 'server_error',
};
/** OpenAI's error `code` where it has a well-known one. */
const CODES: Partial<Record<ApiError['code'], string>> = {
  unauthorized: 'invalid_api_key',
  rate_limited: 'rate_limit_exceeded',
  concurrency_limited: 'rate_limit_exceeded',
  insufficient_credits: 'insufficient_quota',
};

/**
 * Requests marked here reached the queue: from then on no error may invite the `openai` client's
 * automatic retry (it re-POSTs 408/409/429/5xx twice), which would render the images again.
 */
const submitted = new WeakSet<Request>();
export const markSubmitted = (c: Context<AppEnv>) => submitted.add(c.req.raw);

/** An error the OpenAI surface raises itself, with OpenAI's status, type, param and code. */
export class OpenAIApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
    this.name = 'OpenAIApiError';
  }
}

function respond(
  c: Context<AppEnv>,
  status: number,
  error: OpenAIError['error'],
  headers: Record<string, string> = {},
): Response {
  // 429s before a job exists may be retried (nothing was created); anything else may not.
  const retryable = (status === 429 || status === 503) && !submitted.has(c.req.raw);
  return c.json({ error } satisfies OpenAIError, status as ContentfulStatusCode, {
    ...headers,
    'x-should-retry': retryable ? 'true' : 'false',
  });
}

/** The platform's error (an ApiError, or an engine answer's body) in OpenAI's shape. */
export function openaiErrorResponse(
  c: Context<AppEnv>,
  status: number,
  body: ErrorBody['error'],
  headers: Record<string, string> = {},
): Response {
  // OpenAI answers invalid fields with 400, not 422.
  const openaiStatus = body.code === 'validation_error' ? 400 : status;
  return respond(
    c,
    openaiStatus,
    {
      message: body.message,
      type: TYPES[body.code] ?? (openaiStatus >= 500 ? 'server_error' : 'invalid_request_error'),
      param: body.details?.[0]?.field ?? null,
      code: CODES[body.code] ?? body.code,
    },
    headers,
  );
}

export const onOpenAIError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof OpenAIApiError) {
    return respond(c, err.status, { message: err.message, type: err.type, param: err.param, code: err.code });
  }
  if (err instanceof ApiError) {
    const body = { code: err.code, message: err.message, request_id: '', details: err.details };
    return openaiErrorResponse(c, err.status, body, err.headers);
  }
  // Anything else: the platform's handler logs it and says 500; translate its body.
  return translate(c, onError(err, c) as Response);
};

async function translate(c: Context<AppEnv>, platform: Response): Promise<Response> {
  const body = (await platform.json()) as ErrorBody;
  const headers: Record<string, string> = {};
  const retryAfter = platform.headers.get('retry-after');
  if (retryAfter) headers['Retry-After'] = retryAfter;
  return openaiErrorResponse(c, platform.status, body.error, headers);
}

export const onOpenAINotFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, 404, {
    message: `Invalid URL (${c.req.method} ${new URL(c.req.url).pathname})`,
    type: 'invalid_request_error',
    param: null,
    code: null,
  });

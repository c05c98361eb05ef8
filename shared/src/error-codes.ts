/**
 * The one table of API error codes. The edge's ApiError, its error handler, the OpenAPI
 * document and the SDK's typed errors all read from here, so a code and its status can
 * never disagree between places.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, description: 'The body is not valid JSON.' },
  validation_error: { status: 422, description: 'A field is missing, malformed or outside its limits.' },
  payload_too_large: { status: 413, description: 'The body is larger than the limit.' },
  unsupported_media_type: { status: 415, description: 'The Content-Type is not accepted here.' },
  unauthorized: { status: 401, description: 'Missing, malformed, unknown or revoked credentials.' },
  forbidden: { status: 403, description: 'The credentials are valid but not for this resource.' },
  not_found: { status: 404, description: 'No such resource for this account.' },
  method_not_allowed: { status: 405, description: 'The method is not supported on this path.' },
  idempotency_conflict: {
    status: 409,
    description: 'The Idempotency-Key was already used with a different request body.',
  },
  invalid_state: { status: 409, description: 'The resource is not in a state that allows this.' },
  lease_lost: {
    status: 409,
    description: 'The worker lease token is stale: the job was reclaimed or finished.',
  },
  insufficient_credits: { status: 402, description: 'The account has too few credits for this job.' },
  rate_limited: { status: 429, description: 'Too many requests; retry after the Retry-After delay.' },
  concurrency_limited: {
    status: 429,
    description: 'Too many queued or running jobs for this account; retry when one finishes.',
  },
  too_many_watches: {
    status: 429,
    description:
      'Too many open event streams and `Prefer: wait` requests for this account; close one or poll instead.',
  },
  test_quota_exceeded: {
    status: 429,
    description:
      "The account used today's test-mode generations (test keys are free, limited per UTC day); retry tomorrow or use a live key.",
  },
  signature_invalid: { status: 400, description: 'A webhook signature did not verify.' },
  url_expired: { status: 403, description: 'The signed URL has expired.' },
  internal_error: { status: 500, description: 'An unexpected error; it was logged with the request id.' },
  service_unavailable: { status: 503, description: 'A dependency is unavailable; retry with backoff.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

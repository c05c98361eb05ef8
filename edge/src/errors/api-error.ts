import { ERROR_CODES, type ErrorCode, type FieldIssue } from '@ldm/shared';

/**
 * The one error type routes and middlewares throw. `code` keys the shared ERROR_CODES table,
 * which fixes the HTTP status, so a code can never be answered with the wrong status.
 */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldIssue[],
    /** Extra response headers, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code].status;
  }
}

/** A 422 naming one field and, when there is one, the limit it crossed. */
export function fieldError(field: string, message: string, limit?: number | string): ApiError {
  const issue: FieldIssue = limit === undefined ? { field, message } : { field, message, limit };
  return new ApiError('validation_error', `${field}: ${message}`, [issue]);
}

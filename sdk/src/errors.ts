import { ERROR_CODES, type ErrorCode, type FieldIssue } from '@ldm/shared';

/**
 * An error answered by the API: `code` is one of the shared ERROR_CODES (or `unknown_error` when
 * a proxy in between answered with something that is not our error body), so callers can branch
 * on it without parsing messages.
 */
export class LdmApiError extends Error {
  override readonly name = 'LdmApiError';

  constructor(
    readonly code: ErrorCode | 'unknown_error',
    message: string,
    readonly status: number,
    readonly requestId: string | undefined,
    readonly details: FieldIssue[] = [],
    /** Seconds from `Retry-After`, when the response carried one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Whether the API documents this code; `unknown_error` means the body was not ours. */
  get isKnownCode(): boolean {
    return this.code in ERROR_CODES;
  }
}

/** The request never got an HTTP answer: connection refused or reset, DNS, or the body broke off. */
export class LdmConnectionError extends Error {
  override readonly name = 'LdmConnectionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A request, or a whole `run()`, took longer than its `timeoutMs`. */
export class LdmTimeoutError extends Error {
  override readonly name = 'LdmTimeoutError';

  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** `run()` saw its generation end as `failed` or `canceled`; `generation` is the final object. */
export class LdmGenerationError extends Error {
  override readonly name = 'LdmGenerationError';

  constructor(
    message: string,
    readonly generation: { id: string; status: string; error: { code: string; message: string } | null },
  ) {
    super(message);
  }
}

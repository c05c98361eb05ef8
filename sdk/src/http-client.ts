import { ErrorBody, type FieldIssue } from '@ldm/shared';
import { LdmApiError, LdmConnectionError, LdmTimeoutError } from './errors';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type RetryOptions } from './retry-policy';
import { abortableSleep } from './sleep';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  /** Per attempt: until the whole body is read, or until the headers for a stream. */
  timeoutMs: number;
  retry: RetryOptions;
  random?: () => number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the base URL (`/v1/...`) or an absolute URL. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  /** Send the API key. Off for absolute URLs on another origin (a signed output URL needs none). */
  auth?: boolean;
  /** Hand back the response as soon as its headers arrive (event streams); the body is not read. */
  stream?: boolean;
}

/** Called before each retry: which attempt failed, why, and how long we wait. */
export type RetryListener = (info: { attempt: number; delayMs: number; error: Error }) => void;

interface Attempt {
  response: Response;
  /** The body, read inside the attempt's timeout; undefined for a stream. */
  body?: Uint8Array;
}

/**
 * One HTTP exchange with the API, retried on 429, 5xx, timeouts and connection errors with
 * backoff that honours `Retry-After`. Every method of the API is safe to retry: reads are,
 * cancel is, and create carries an Idempotency-Key fixed before the first attempt.
 */
export class HttpClient {
  onRetry?: RetryListener;
  private readonly origin: string;

  constructor(private readonly options: HttpClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
  }

  url(path: string, query?: HttpRequest['query']): URL {
    const url = /^https?:\/\//.test(path)
      ? new URL(path)
      : new URL(this.options.baseUrl.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  async json<T>(request: HttpRequest): Promise<T> {
    const { response, body } = await this.send({ ...request, stream: false });
    const text = new TextDecoder().decode(body);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new LdmApiError(
        'unknown_error',
        `the API answered with something that is not JSON: ${text.slice(0, 120)}`,
        response.status,
        response.headers.get('x-request-id') ?? undefined,
      );
    }
  }

  async bytes(request: HttpRequest): Promise<Uint8Array> {
    return (await this.send({ ...request, stream: false })).body ?? new Uint8Array();
  }

  async send(request: HttpRequest): Promise<Attempt> {
    const url = this.url(request.path, request.query);
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    const sameOrigin = url.origin === this.origin;
    if (request.auth ?? sameOrigin) headers.authorization = `Bearer ${this.options.apiKey}`;
    let payload: string | undefined;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(request.body);
    }
    const maxRetries = request.maxRetries ?? this.options.retry.maxRetries;
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs;

    for (let attempt = 0; ; attempt++) {
      let failure: Error;
      let retryAfterMs: number | undefined;
      try {
        const result = await this.attempt(
          url,
          { method: request.method, headers, body: payload },
          timeoutMs,
          request,
        );
        if (result.response.ok) return result;
        retryAfterMs = parseRetryAfter(result.response.headers.get('retry-after'));
        failure = toApiError(result.response, result.body ?? new Uint8Array());
      } catch (error) {
        // Only transport failures are retried here; a caller's abort goes straight up.
        if (request.signal?.aborted) throw request.signal.reason;
        if (!(error instanceof LdmTimeoutError || error instanceof LdmConnectionError)) throw error;
        failure = error;
      }
      const retryable =
        failure instanceof LdmApiError
          ? isRetryableStatus(failure.status) && (retryAfterMs ?? 0) <= this.options.retry.maxRetryAfterMs
          : true;
      if (!retryable || attempt >= maxRetries) throw failure;
      const delayMs = backoffDelay(attempt, this.options.retry, retryAfterMs, this.options.random);
      this.onRetry?.({ attempt, delayMs, error: failure });
      await abortableSleep(delayMs, request.signal);
    }
  }

  private async attempt(
    url: URL,
    init: RequestInit,
    timeoutMs: number,
    request: HttpRequest,
  ): Promise<Attempt> {
    const controller = new AbortController();
    const signal = request.signal;
    if (signal?.aborted) throw signal.reason;
    const forward = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const fail = (cause: unknown): never => {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw new LdmTimeoutError(
          `${init.method} ${url.pathname} got no answer within ${timeoutMs} ms`,
          timeoutMs,
        );
      }
      throw new LdmConnectionError(`${init.method} ${url.pathname} failed: ${describe(cause)}`, { cause });
    };
    try {
      const response = await this.options
        .fetch(url.toString(), { ...init, signal: controller.signal })
        .catch(fail);
      if (request.stream && response.ok) return { response };
      const body = new Uint8Array(await response.arrayBuffer().catch(fail));
      return { response, body };
    } finally {
      clearTimeout(timer);
      // A stream keeps following the caller's signal until it is read to the end.
      if (!request.stream) signal?.removeEventListener('abort', forward);
    }
  }
}

function toApiError(response: Response, body: Uint8Array): LdmApiError {
  const text = new TextDecoder().decode(body);
  const requestId = response.headers.get('x-request-id') ?? undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const retryAfter = retryAfterMs === undefined ? undefined : retryAfterMs / 1000;
  let parsed: ReturnType<typeof ErrorBody.safeParse> | undefined;
  try {
    parsed = ErrorBody.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (parsed?.success) {
    const { code, message, request_id, details } = parsed.data.error;
    return new LdmApiError(
      code,
      message,
      response.status,
      request_id ?? requestId,
      details as FieldIssue[],
      retryAfter,
    );
  }
  const snippet = text.trim().slice(0, 200) || response.statusText || 'no body';
  return new LdmApiError(
    'unknown_error',
    `HTTP ${response.status}: ${snippet}`,
    response.status,
    requestId,
    [],
    retryAfter,
  );
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    const code = inner && typeof inner === 'object' && 'code' in inner ? ` (${String(inner.code)})` : '';
    return inner instanceof Error ? `${inner.message}${code}` : `${cause.message}${code}`;
  }
  return String(cause);
}

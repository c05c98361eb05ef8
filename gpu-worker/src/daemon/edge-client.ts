import {
  type CompleteRequest,
  type FailRequest,
  type HeartbeatRequest,
  HeartbeatResponse,
  LEASE_TOKEN_HEADER,
  type LeaseRequest,
  LeaseResponse,
  ModelExport,
  type ModelExportReport,
  QueueStats,
  type ReleaseRequest,
  UploadedOutput,
  WorkerCatalog,
  WorkerJobStatus,
} from '@ldm/shared';
import type { z } from 'zod';
import { backoffDelay, sleep } from './backoff';
import { EdgeRequestError, EdgeUnavailableError, LeaseLostError } from './edge-errors';
import type { Logger } from './logger';

export interface EdgeClientOptions {
  baseUrl: string;
  token: string;
  log: Logger;
  /** Cap of one backoff sleep. */
  retryMaxDelayMs?: number;
  fetch?: typeof fetch;
  /** Called on every failed attempt that will be retried or given up (metrics). */
  onFailure?: (route: string) => void;
}

interface CallOptions<T> {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  json?: unknown;
  body?: Uint8Array;
  headers?: Record<string, string>;
  schema?: z.ZodType<T>;
  /** Attempts before giving up; Infinity retries until `signal` aborts (results must not be dropped). */
  attempts: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The job a 409 (and, for job routes, 404) refers to: such answers become LeaseLostError. */
  jobId?: string;
  /** An input download's 404 means a missing object, not a missing job. */
  notFoundIsError?: boolean;
  /** No new attempt once this aborts (the attempt in flight goes on). */
  stopRetrying?: AbortSignal;
}

/**
 * The worker's only way out: the worker protocol over HTTPS with the worker token. Network
 * errors, 429 and 5xx are retried with exponential backoff and jitter; 409 lease_lost and 404 on
 * a job become LeaseLostError; other 4xx are EdgeRequestError (a bug or bad input, not retried).
 */
export class EdgeClient {
  /** Unix ms of the last HTTP answer of any status: the edge is reachable (readiness). */
  lastContactAt = 0;
  /**
   * Why the edge last refused this worker outright (a 401/403: wrong token; a lease refused with a
   * 4xx: e.g. a model the catalog does not know), until a call succeeds again. Readiness fails
   * while it is set: such an edge is reachable but the worker cannot do any work.
   */
  refusal: string | undefined;
  private readonly fetch: typeof fetch;
  private readonly maxDelay: number;

  constructor(private readonly options: EdgeClientOptions) {
    this.fetch = options.fetch ?? fetch;
    this.maxDelay = options.retryMaxDelayMs ?? 15_000;
  }

  /**
   * `signal` cuts the call short; `stopRetrying` only prevents further attempts, so a call parked
   * at the edge is let come back (a drain must not drop a call the edge may still grant jobs to).
   */
  lease(request: LeaseRequest, signal?: AbortSignal, stopRetrying?: AbortSignal): Promise<LeaseResponse> {
    return this.call({
      method: 'POST',
      path: '/worker/v1/lease',
      json: request,
      schema: LeaseResponse,
      attempts: Number.POSITIVE_INFINITY,
      // The edge holds the call up to wait_ms; allow for that plus a slow answer.
      timeoutMs: request.wait_ms + 15_000,
      signal,
      stopRetrying,
    });
  }

  heartbeat(jobId: string, request: HeartbeatRequest, signal?: AbortSignal): Promise<HeartbeatResponse> {
    return this.call({
      method: 'POST',
      path: `/worker/v1/jobs/${encodeURIComponent(jobId)}/heartbeat`,
      json: request,
      schema: HeartbeatResponse,
      // The next tick retries anyway; a few quick attempts ride out a blip without piling up.
      attempts: 3,
      timeoutMs: 10_000,
      signal,
      jobId,
    });
  }

  uploadOutput(
    jobId: string,
    index: number,
    leaseToken: string,
    bytes: Uint8Array,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<UploadedOutput> {
    return this.call({
      method: 'PUT',
      path: `/worker/v1/jobs/${encodeURIComponent(jobId)}/outputs/${index}`,
      body: bytes,
      headers: { 'content-type': contentType, [LEASE_TOKEN_HEADER]: leaseToken },
      schema: UploadedOutput,
      attempts: Number.POSITIVE_INFINITY,
      timeoutMs: 60_000,
      signal,
      jobId,
    });
  }

  complete(jobId: string, request: CompleteRequest, signal?: AbortSignal): Promise<WorkerJobStatus> {
    return this.finishJob(jobId, 'complete', request, signal);
  }

  fail(jobId: string, request: FailRequest, signal?: AbortSignal): Promise<WorkerJobStatus> {
    return this.finishJob(jobId, 'fail', request, signal);
  }

  /** Gives a job back unfinished (drain): the edge re-queues it without spending an attempt. */
  release(jobId: string, request: ReleaseRequest, signal?: AbortSignal): Promise<WorkerJobStatus> {
    return this.finishJob(jobId, 'release', request, signal);
  }

  /** The end of a lease: retried until the edge answers, since a result must never be dropped. */
  private finishJob(
    jobId: string,
    action: 'complete' | 'fail' | 'release',
    request: CompleteRequest | FailRequest | ReleaseRequest,
    signal?: AbortSignal,
  ): Promise<WorkerJobStatus> {
    return this.call({
      method: 'POST',
      path: `/worker/v1/jobs/${encodeURIComponent(jobId)}/${action}`,
      json: request,
      schema: WorkerJobStatus,
      attempts: Number.POSITIVE_INFINITY,
      timeoutMs: 30_000,
      signal,
      jobId,
    });
  }

  /** An input image of a leased job; `url` is the LeasedJob's image_url/mask_url (absolute or edge-relative). */
  async downloadInput(
    jobId: string,
    url: string,
    leaseToken: string,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const path = url.startsWith('http') ? url : url.startsWith('/') ? url : `/${url}`;
    const response = await this.call<Response>({
      method: 'GET',
      path,
      headers: { [LEASE_TOKEN_HEADER]: leaseToken },
      attempts: 8,
      timeoutMs: 60_000,
      signal,
      jobId,
      notFoundIsError: true,
    });
    return new Uint8Array(await response.arrayBuffer());
  }

  /** The edge's model catalog; retried like a lease (a worker starting before its edge waits for it). */
  catalog(signal?: AbortSignal): Promise<WorkerCatalog> {
    return this.call({
      method: 'GET',
      path: '/worker/v1/models',
      schema: WorkerCatalog,
      attempts: Number.POSITIVE_INFINITY,
      timeoutMs: 10_000,
      signal,
    });
  }

  /**
   * What this worker read from a served model's export, shown by the edge's GET /v1/models. A few
   * attempts: the report is informational and must not hold a worker back from serving.
   */
  reportModelExport(model: string, report: ModelExportReport, signal?: AbortSignal): Promise<ModelExport> {
    return this.call({
      method: 'PUT',
      path: `/worker/v1/models/${encodeURIComponent(model)}/export`,
      json: report,
      schema: ModelExport,
      attempts: 3,
      timeoutMs: 10_000,
      signal,
    });
  }

  queueStats(signal?: AbortSignal): Promise<QueueStats> {
    return this.call({
      method: 'GET',
      path: '/worker/v1/queue',
      schema: QueueStats,
      attempts: 1,
      timeoutMs: 5_000,
      signal,
    });
  }

  private async call<T>(options: CallOptions<T>): Promise<T> {
    const url = options.path.startsWith('http') ? options.path : `${this.options.baseUrl}${options.path}`;
    const route = new URL(url).pathname;
    // The worker token goes to the edge's origin only: an absolute URL the edge handed back (an
    // input image's URL) that names another origin is refused before anything is sent.
    if (new URL(url).origin !== new URL(this.options.baseUrl).origin) {
      throw new EdgeRequestError(
        0,
        'foreign_origin',
        `refusing to send the worker token to ${new URL(url).origin}`,
        route,
      );
    }
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (options.stopRetrying?.aborted) throw options.stopRetrying.reason;
      let failure: string;
      try {
        const response = await this.fetch(url, {
          method: options.method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: options.json === undefined ? options.body : JSON.stringify(options.json),
          signal: withTimeout(options.signal, options.timeoutMs),
          // Never followed: a redirect would carry the token to wherever it points.
          redirect: 'manual',
        });
        this.lastContactAt = Date.now();
        if (response.ok) this.refusal = undefined;
        if (response.ok) {
          if (!options.schema) return (options.method === 'GET' ? response : await readJson(response)) as T;
          return options.schema.parse(await response.json());
        }
        const error = await readError(response);
        const jobGone = response.status === 404 && !options.notFoundIsError;
        // Only lease_lost means "stop and discard": another 409 (invalid_state: e.g. complete before
        // every output is stored) is a refusal of this call, and the result in hand is still good.
        if (options.jobId && (error.code === 'lease_lost' || jobGone)) {
          throw new LeaseLostError(
            options.jobId,
            jobGone ? 'not_found' : 'lease_lost',
            `${route}: ${error.message}`,
          );
        }
        if (response.status >= 300 && response.status < 400) {
          throw new EdgeRequestError(
            response.status,
            'redirect',
            'redirects are not followed (the token stays with the edge)',
            route,
          );
        }
        if (response.status !== 429 && response.status < 500) {
          if (response.status === 401 || response.status === 403 || route.endsWith('/lease')) {
            this.refusal = `${route}: ${response.status} ${error.code}`;
          }
          throw new EdgeRequestError(response.status, error.code, error.message, route);
        }
        failure = `${response.status} ${error.code}`;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof LeaseLostError || error instanceof EdgeRequestError) throw error;
        if ((error as Error).name === 'ZodError') throw error;
        failure = describeNetworkError(error);
      }
      this.options.onFailure?.(routeName(route));
      if (attempt + 1 >= options.attempts) {
        throw new EdgeUnavailableError(
          `${options.method} ${route}: ${failure} after ${attempt + 1} attempts`,
        );
      }
      const delay = backoffDelay(attempt, { maxMs: this.maxDelay });
      // First failure and then every 10th: an outage of minutes should not flood the log.
      if (attempt % 10 === 0) {
        this.options.log.warn('edge call failed, retrying', {
          route,
          failure,
          attempt: attempt + 1,
          delay_ms: delay,
        });
      }
      const signals = [options.signal, options.stopRetrying].filter((x): x is AbortSignal => x !== undefined);
      await sleep(delay, signals.length > 0 ? AbortSignal.any(signals) : undefined);
    }
  }
}

/** `/worker/v1/jobs/abc/outputs/0` -> `jobs/:id/outputs`: a bounded label set for metrics. */
function routeName(path: string): string {
  return path
    .replace(/^\/worker\/v1\//, '')
    .replace(/jobs\/[^/]+/, 'jobs/:id')
    .replace(/\/\d+$/, '');
}

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

async function readError(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return {
      code: body.error?.code ?? `http_${response.status}`,
      message: body.error?.message ?? text.slice(0, 200),
    };
  } catch {
    return { code: `http_${response.status}`, message: text.slice(0, 200) };
  }
}

function describeNetworkError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'timeout';
  return e?.cause?.code ?? e?.message ?? String(error);
}

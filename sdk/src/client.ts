import type {
  Account,
  Generation,
  GenerationList,
  GenerationOutput,
  GenerationRequestInput,
  ListedModel,
  Usage,
} from '@ldm/shared';
import { LdmApiError, LdmGenerationError } from './errors';
import { type GenerationEvent, interpretEvent } from './generation-events';
import { type FetchLike, HttpClient, type RetryListener } from './http-client';
import { DEFAULT_RETRY, type RetryOptions } from './retry-policy';
import { readSse } from './sse-parser';
import { type WaitOptions, waitForGeneration } from './wait-for-generation';

export interface LdmClientOptions {
  /** e.g. `https://api.example.com` or the local stack's `http://127.0.0.1:8787`. */
  baseUrl: string;
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Retries after the first attempt on 429, 5xx, timeouts and connection errors. Default 3. */
  maxRetries?: number;
  /** Per request attempt. Default 60000. */
  timeoutMs?: number;
  /** Backoff tuning; see RetryOptions for defaults. */
  retry?: Partial<Omit<RetryOptions, 'maxRetries'>>;
  /** Told before each retry (logging, metrics). */
  onRetry?: RetryListener;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface CreateOptions extends CallOptions {
  /** Makes retries (ours and yours) create one generation. A random one is used when omitted. */
  idempotencyKey?: string;
  /** `Prefer: wait=N`: the edge holds the answer up to N seconds for the result. */
  waitSeconds?: number;
}

export interface ListOptions extends CallOptions {
  /** Page size, 1-100. */
  limit?: number;
  cursor?: string;
}

export interface UsageOptions extends CallOptions {
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  groupBy?: 'day' | 'model';
}

export type RunOptions = WaitOptions & Pick<CreateOptions, 'idempotencyKey'>;

const enc = encodeURIComponent;

/** The LDM platform API. Every method retries safely; errors are LdmApiError with the API's code. */
export class LdmClient {
  private readonly http: HttpClient;

  constructor(options: LdmClientOptions) {
    if (!options.baseUrl) throw new TypeError('LdmClient: baseUrl is required');
    if (!options.apiKey) throw new TypeError('LdmClient: apiKey is required');
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.http = new HttpClient({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      fetch: fetchImpl,
      timeoutMs: options.timeoutMs ?? 60_000,
      retry: {
        ...DEFAULT_RETRY,
        ...options.retry,
        maxRetries: options.maxRetries ?? DEFAULT_RETRY.maxRetries,
      },
    });
    this.http.onRetry = options.onRetry;
  }

  create(request: GenerationRequestInput, options: CreateOptions = {}): Promise<Generation> {
    const headers: Record<string, string> = {
      'idempotency-key': options.idempotencyKey ?? crypto.randomUUID(),
    };
    if (options.waitSeconds !== undefined) headers.prefer = `wait=${options.waitSeconds}`;
    const timeoutMs = options.waitSeconds === undefined ? undefined : (options.waitSeconds + 30) * 1000;
    return this.http.json({
      method: 'POST',
      path: '/v1/generations',
      body: request,
      headers,
      signal: options.signal,
      timeoutMs,
    });
  }

  get(id: string, options: CallOptions = {}): Promise<Generation> {
    return this.http.json({ method: 'GET', path: `/v1/generations/${enc(id)}`, signal: options.signal });
  }

  list(options: ListOptions = {}): Promise<GenerationList> {
    return this.http.json({
      method: 'GET',
      path: '/v1/generations',
      query: { limit: options.limit, cursor: options.cursor },
      signal: options.signal,
    });
  }

  /** Every page, newest first, following `next_cursor`. */
  async *listPages(options: ListOptions = {}): AsyncGenerator<GenerationList> {
    let cursor = options.cursor;
    do {
      const page = await this.list({ ...options, cursor });
      yield page;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** Every generation of the account, newest first, fetched a page at a time as you iterate. */
  async *listAll(options: ListOptions = {}): AsyncGenerator<Generation> {
    for await (const page of this.listPages(options)) yield* page.data;
  }

  /**
   * Cancels queued or running work. Canceling what is already canceled answers the generation
   * instead of an error, so a retried cancel whose first attempt landed still succeeds.
   */
  async cancel(id: string, options: CallOptions = {}): Promise<Generation> {
    try {
      return await this.http.json({
        method: 'POST',
        path: `/v1/generations/${enc(id)}/cancel`,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof LdmApiError && error.code === 'invalid_state') {
        const generation = await this.get(id, options);
        if (generation.status === 'canceled') return generation;
      }
      throw error;
    }
  }

  /** The generation's server-sent events, interpreted; ends when the server closes the stream. */
  async *events(
    id: string,
    options: CallOptions & { lastEventId?: string } = {},
  ): AsyncGenerator<GenerationEvent> {
    const { response } = await this.http.send({
      method: 'GET',
      path: `/v1/generations/${enc(id)}/events`,
      headers: {
        accept: 'text/event-stream',
        ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
      },
      signal: options.signal,
      stream: true,
      maxRetries: 1,
    });
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new LdmApiError(
        'unknown_error',
        `events answered ${type || 'no content type'}, not an event stream`,
        response.status,
        response.headers.get('x-request-id') ?? undefined,
      );
    }
    for await (const raw of readSse(response.body, options.signal)) yield interpretEvent(raw);
  }

  /** Waits for a generation to end (see waitForGeneration); the final object has the outputs. */
  wait(generation: Generation | string, options: WaitOptions = {}): Promise<Generation> {
    return waitForGeneration(
      { get: (id, o) => this.get(id, o), events: (id, o) => this.events(id, o) },
      generation,
      options,
    );
  }

  /**
   * Creates a generation and waits for it. Resolves with the succeeded generation; a failed or
   * canceled one rejects with LdmGenerationError carrying it. Aborting stops waiting, not the job.
   */
  async run(request: GenerationRequestInput, options: RunOptions = {}): Promise<Generation> {
    const created = await this.create(request, {
      idempotencyKey: options.idempotencyKey,
      signal: options.signal,
    });
    const done = await this.wait(created, options);
    if (done.status !== 'succeeded') {
      const why = done.error ? `${done.error.code}: ${done.error.message}` : done.status;
      throw new LdmGenerationError(`generation ${done.id} ${done.status}: ${why}`, done);
    }
    return done;
  }

  /** The bytes of one output (its signed URL, or any output URL of this API). */
  download(output: GenerationOutput | string, options: CallOptions = {}): Promise<Uint8Array> {
    const url = typeof output === 'string' ? output : output.url;
    return this.http.bytes({ method: 'GET', path: url, headers: { accept: '*/*' }, signal: options.signal });
  }

  account(options: CallOptions = {}): Promise<Account> {
    return this.http.json({ method: 'GET', path: '/v1/account', signal: options.signal });
  }

  usage(options: UsageOptions = {}): Promise<Usage> {
    return this.http.json({
      method: 'GET',
      path: '/v1/usage',
      query: { from: options.from, to: options.to, group_by: options.groupBy },
      signal: options.signal,
    });
  }

  /** The catalog, each model with `export`: what workers read from its export (null until reported). */
  async models(options: CallOptions = {}): Promise<ListedModel[]> {
    const list = await this.http.json<{ data: ListedModel[] }>({
      method: 'GET',
      path: '/v1/models',
      signal: options.signal,
    });
    return list.data;
  }

  /** The account's `whsec_...` secret, for verifyWebhook. */
  async webhookSecret(options: CallOptions = {}): Promise<string> {
    const body = await this.http.json<{ secret: string }>({
      method: 'GET',
      path: '/v1/webhooks/secret',
      signal: options.signal,
    });
    return body.secret;
  }
}

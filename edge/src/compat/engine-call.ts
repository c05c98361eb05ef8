import type { ErrorBody, Generation } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import type { AppEnv, AppVariables } from '../context';
import { onError } from '../errors/error-handler';
import { requestOrigin } from '../generations/load-generation';
import { generations } from '../routes/generations';

/**
 * The compatibility surfaces (OpenAI, Replicate) are translators: they turn their caller's request
 * into a `/v1/generations` request and run it through the very same sub-app, in the same isolate
 * and without a network hop, so submit, cache, credits, limits, idempotency and webhooks have one
 * implementation. Auth and rate limit ran once, on the surface; the variables they set (caller,
 * config, Redis clients, request id) are handed over keyed by the internal Request object, which
 * nothing outside this module can forge (no header carries them).
 */
const handoff = new WeakMap<Request, Partial<AppVariables> & { jobExtras?: JobExtras }>();

/**
 * Fields a surface adds to the job record it creates (job-record.ts): `webhook_format` and
 * `compat_owner` make the webhook deliverer send the surface's own object (a Replicate prediction).
 */
export interface JobExtras {
  webhook_format?: 'replicate';
  compat_owner?: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    jobExtras: JobExtras | undefined;
  }
}

const engine = new Hono<AppEnv>()
  .basePath('/v1')
  .use(async function handedOverVariables(c, next) {
    const vars = handoff.get(c.req.raw);
    if (!vars) throw new Error('engine-call: a request without handed-over variables');
    for (const [name, value] of Object.entries(vars)) c.set(name as keyof AppVariables, value as never);
    await next();
  })
  .route('/generations', generations);
engine.onError(onError);

/** What an engine call answered: the status, the parsed JSON body and the headers worth passing on. */
export type EngineAnswer<T> =
  | { ok: true; status: number; body: T; headers: Headers }
  | { ok: false; status: number; body: ErrorBody; headers: Headers };

export interface EngineCallOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Request headers the engine reads: Prefer, Idempotency-Key. */
  headers?: Record<string, string>;
  jobExtras?: JobExtras;
}

/** Runs `/v1/generations{path}` for the surface's caller; `path` starts with `/` or `?` or is empty. */
export async function engineCall<T = Generation>(
  c: Context<AppEnv>,
  path: string,
  options: EngineCallOptions = {},
): Promise<EngineAnswer<T>> {
  const headers = new Headers(options.headers);
  if (options.body !== undefined) headers.set('content-type', 'application/json');
  const request = new Request(`${requestOrigin(c)}/v1/generations${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    // The caller's signal: a watch the engine holds for this call is given back when the client leaves.
    signal: c.req.raw.signal,
  });
  handoff.set(request, { ...c.var, jobExtras: options.jobExtras });
  const response = await engine.fetch(request, c.env, c.executionCtx);
  return {
    ok: response.ok,
    status: response.status,
    body: await response.json(),
    headers: response.headers,
  } as EngineAnswer<T>;
}

/** The raw engine response (for server-sent events, which are translated as they stream). */
export async function engineStream(c: Context<AppEnv>, path: string): Promise<Response> {
  const request = new Request(`${requestOrigin(c)}/v1/generations${path}`, { signal: c.req.raw.signal });
  handoff.set(request, { ...c.var });
  return engine.fetch(request, c.env, c.executionCtx);
}

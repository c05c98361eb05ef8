import {
  CONTENT_TYPES,
  type Generation,
  type GenerationOutput,
  type JobInput,
  safeGenerationError,
} from '@ldm/shared';
import { signPath } from '../lib/signed-url';

export interface ViewOptions {
  /** Origin the caller used, e.g. `https://api.example.com`. */
  baseUrl: string;
  signingSecret: string;
  urlTtlSeconds: number;
  nowMs: number;
  /** The admin API only: the stored error as the worker sent it. Customers get safeGenerationError's. */
  rawError?: boolean;
}

/** What the job record's `request` field keeps of the request besides the input. */
interface RequestEcho {
  webhook?: string;
  webhook_events_filter?: Generation['input']['webhook_events_filter'];
}

interface StoredOutput {
  content_type: string;
  width: number;
  height: number;
  seed: number;
  nsfw?: boolean;
}

const EXTENSIONS: Record<string, string> = Object.fromEntries(
  Object.entries(CONTENT_TYPES).map(([ext, type]) => [type, ext]),
);

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);
const int = (text: string | undefined) =>
  text === undefined || text === '' ? null : Math.round(Number(text));

function parse<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Where output n of a job is served (before signing). */
export function outputPath(accountId: string, jobId: string, index: number, contentType: string): string {
  return `/v1/outputs/${accountId}/${jobId}/${index}.${EXTENSIONS[contentType] ?? 'png'}`;
}

/**
 * The one place a job record (job-record.ts) becomes the public Generation object. Output URLs
 * are signed and expire, so they work in a browser or a webhook consumer without the API key.
 */
export async function generationView(
  jobId: string,
  job: Record<string, string>,
  o: ViewOptions,
  /** The job's `input` and `request` as objects, when the caller has them (it just wrote them). */
  known?: { input: JobInput; echo: RequestEcho },
): Promise<Generation> {
  const {
    image_key: _i,
    mask_key: _m,
    ...input
  } = known?.input ?? parse<JobInput>(job.input, {} as JobInput);
  const echo = known?.echo ?? parse<RequestEcho>(job.request, {});
  const expires = Math.floor(o.nowMs / 1000) + o.urlTtlSeconds;
  const stored = parse<StoredOutput[]>(job.outputs, []);
  const outputs: GenerationOutput[] = await Promise.all(
    stored.map(async (out, index) => ({
      url:
        o.baseUrl +
        (await signPath(
          o.signingSecret,
          outputPath(job.account_id, jobId, index, out.content_type),
          expires,
        )),
      content_type: out.content_type,
      width: out.width,
      height: out.height,
      seed: out.seed,
      ...(out.nsfw === undefined ? {} : { nsfw: out.nsfw }),
    })),
  );
  const total = int(job.progress_total);
  const createdAt = Number(job.created_at);
  const startedAt = int(job.started_at);
  const links = `${o.baseUrl}/v1/generations/${jobId}`;
  return {
    id: jobId,
    model: job.model,
    status: job.status as Generation['status'],
    input: { ...input, ...echo },
    progress: total ? { step: int(job.progress_step) ?? 0, total } : null,
    outputs,
    error: errorView(parse<Generation['error']>(job.error, null), o.rawError === true),
    cached: job.cached === '1',
    // Records written before test mode existed have no field: they were all live.
    livemode: job.livemode !== '0',
    created_at: new Date(createdAt).toISOString(),
    started_at: iso(job.started_at),
    completed_at: iso(job.completed_at),
    metrics: {
      queue_ms: startedAt === null ? null : Math.max(0, startedAt - createdAt),
      inference_ms: int(job.inference_ms),
    },
    usage: { units: Number(job.units ?? job.units_reserved ?? 0) },
    urls: { get: links, cancel: `${links}/cancel`, events: `${links}/events` },
  };
}

function errorView(error: Generation['error'], raw: boolean): Generation['error'] {
  if (!error || raw) return error;
  return safeGenerationError(error);
}

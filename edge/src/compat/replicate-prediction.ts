import { type Generation, LIMITS, type ReplicatePrediction } from '@ldm/shared';
import { signPath } from '../lib/signed-url';

const STATUS: Record<Generation['status'], ReplicatePrediction['status']> = {
  queued: 'starting',
  running: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
};

/** `NN%|bar| step/total`, one line per step done: the tqdm lines Replicate's parseProgressFromLogs reads. */
export function progressLogs(progress: Generation['progress']): string {
  if (!progress) return '';
  const lines: string[] = [];
  // Bounded whatever the stored progress says: at most stepsMax lines, the last one the step
  // reached (what Replicate's parser reads), never past the total.
  const last = Math.min(progress.step, progress.total);
  const first = Math.max(1, last - LIMITS.stepsMax + 1);
  for (let step = first; step <= last; step++) {
    const percent = Math.round((100 * step) / progress.total);
    const bar = '█'.repeat(Math.round(percent / 10)).padEnd(10, ' ');
    lines.push(`${String(percent).padStart(3)}%|${bar}| ${step}/${progress.total}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The model's inputs under Replicate's names (what ReplicateInput accepts), from the resolved input. */
function replicateInput(input: Generation['input']): Record<string, unknown> {
  return {
    prompt: input.prompt,
    negative_prompt: input.negative_prompt,
    width: input.width,
    height: input.height,
    num_inference_steps: input.steps,
    guidance_scale: input.guidance_scale,
    scheduler: input.scheduler,
    seed: input.seed,
    num_outputs: input.num_outputs,
    output_format: input.output_format,
    ...(input.task !== 'txt2img' ? { prompt_strength: input.strength } : {}),
  };
}

export interface PredictionOptions {
  /** Origin for `urls` (the request's, or PUBLIC_BASE_URL / the submit origin in a webhook). */
  baseUrl: string;
  /** Replicate owner of the platform's models (COMPAT_MODEL_OWNER). */
  owner: string;
  version: string;
  /** Replaces the output URLs (data URLs in a synchronous answer). */
  output?: string[];
  /** A `Prefer: wait` answer that is not final says `starting` (see predictions-create.ts). */
  statusOverride?: ReplicatePrediction['status'];
  /** The signed `urls.stream` (the client opens it without the key); see signedStreamUrl. */
  streamUrl?: string;
}

/** Path of a prediction's event stream; signed, it opens without the key, like Replicate's. */
export const streamPath = (id: string) => `/replicate/v1/predictions/${id}/stream`;

export async function signedStreamUrl(
  baseUrl: string,
  id: string,
  secret: string,
  ttlSeconds: number,
): Promise<string> {
  return baseUrl + (await signPath(secret, streamPath(id), Math.floor(Date.now() / 1000) + ttlSeconds));
}

/** The platform's Generation as Replicate's prediction object (API answers and webhook bodies). */
export function predictionOf(generation: Generation, o: PredictionOptions): ReplicatePrediction {
  const base = `${o.baseUrl}/replicate/v1/predictions/${generation.id}`;
  const succeeded = generation.status === 'succeeded';
  const total = generation.progress?.total ?? generation.input.steps;
  return {
    id: generation.id,
    model: `${o.owner}/${generation.model}`,
    version: o.version,
    input: replicateInput(generation.input),
    output: succeeded ? (o.output ?? generation.outputs.map((out) => out.url)) : null,
    error: generation.error ? generation.error.message : null,
    // A job faster than a heartbeat reports no progress; a finished one did every step.
    logs: progressLogs(succeeded ? { step: total, total } : generation.progress),
    status: o.statusOverride ?? STATUS[generation.status],
    data_removed: false,
    source: 'api',
    created_at: generation.created_at,
    started_at: generation.started_at,
    completed_at: generation.completed_at,
    metrics:
      generation.metrics.inference_ms === null
        ? {}
        : { predict_time: generation.metrics.inference_ms / 1000 },
    urls: { get: base, cancel: `${base}/cancel`, stream: o.streamUrl ?? `${base}/stream` },
  };
}

/**
 * Open streams one prediction's signed URL may hold at once. They come from the prediction's own
 * pool, not the owner's MAX_WATCHES_PER_ACCOUNT: the URL travels (browsers, webhook receivers),
 * and whoever holds it must not be able to lock the owner out of their own watches.
 */
export const SIGNED_STREAMS_PER_PREDICTION = 2;

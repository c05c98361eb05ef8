import type { Generation, ReplicatePrediction } from '@ldm/shared';
import type { Context } from 'hono';
import { compatConfigFor } from '../../compat/compat-config';
import type { AppEnv } from '../../context';
import { requestOrigin } from '../../generations/load-generation';

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
  for (let step = 1; step <= progress.step; step++) {
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

export interface PredictionViewOptions {
  /** Replaces the output URLs (data URLs in a synchronous answer). */
  output?: string[];
  /** A `Prefer: wait` answer that is not final says `starting` (see predictions.ts). */
  statusOverride?: ReplicatePrediction['status'];
}

/** The platform's Generation as Replicate's prediction object. */
export function predictionView(
  c: Context<AppEnv>,
  generation: Generation,
  version: string,
  options: PredictionViewOptions = {},
): ReplicatePrediction {
  const base = `${requestOrigin(c)}/replicate/v1/predictions/${generation.id}`;
  const succeeded = generation.status === 'succeeded';
  return {
    id: generation.id,
    model: `${compatConfigFor(c.env).modelOwner}/${generation.model}`,
    version,
    input: replicateInput(generation.input),
    output: succeeded ? (options.output ?? generation.outputs.map((o) => o.url)) : null,
    error: generation.error ? generation.error.message : null,
    // A job faster than a heartbeat reports no progress; a finished one did every step.
    logs: progressLogs(
      succeeded
        ? {
            step: generation.progress?.total ?? generation.input.steps,
            total: generation.progress?.total ?? generation.input.steps,
          }
        : generation.progress,
    ),
    status: options.statusOverride ?? STATUS[generation.status],
    data_removed: false,
    source: 'api',
    created_at: generation.created_at,
    started_at: generation.started_at,
    completed_at: generation.completed_at,
    metrics:
      generation.metrics.inference_ms === null
        ? {}
        : { predict_time: generation.metrics.inference_ms / 1000 },
    urls: { get: base, cancel: `${base}/cancel`, stream: `${base}/stream` },
  };
}

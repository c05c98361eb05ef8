import { LIMITS, REQUEST_DEFAULTS } from '@ldm/shared';
import { PipelineInputError } from '../pipeline/pipeline-input-error';

/** diffusers' StableDiffusionUpscalePipeline default `noise_level`. */
export const DEFAULT_NOISE_LEVEL = 20;

/** One upscale, every field resolved; `image` is the encoded low-resolution file (PNG, JPEG, WebP). */
export interface UpscaleRequest {
  task: 'upscale';
  image: Uint8Array;
  prompt: string;
  negative_prompt: string;
  steps: number;
  guidance_scale: number;
  scheduler: string;
  seed: number;
  num_outputs: number;
  noise_level: number;
}

export type UpscaleFields = Partial<Omit<UpscaleRequest, 'task' | 'image'>> & { image: Uint8Array };

export interface UpscaleDefaults {
  steps?: number;
  guidance_scale?: number;
  scheduler: string;
}

/** Fills what a standalone caller left out: the shared defaults, the model's scheduler, noise level 20. */
export function resolveUpscale(fields: UpscaleFields, defaults: UpscaleDefaults): UpscaleRequest {
  return {
    task: 'upscale',
    image: fields.image,
    prompt: fields.prompt ?? '',
    negative_prompt: fields.negative_prompt ?? REQUEST_DEFAULTS.negative_prompt,
    steps: fields.steps ?? defaults.steps ?? REQUEST_DEFAULTS.steps,
    guidance_scale: fields.guidance_scale ?? defaults.guidance_scale ?? REQUEST_DEFAULTS.guidance_scale,
    scheduler: fields.scheduler ?? defaults.scheduler,
    seed: fields.seed ?? crypto.getRandomValues(new Uint32Array(1))[0],
    num_outputs: fields.num_outputs ?? REQUEST_DEFAULTS.num_outputs,
    noise_level: fields.noise_level ?? DEFAULT_NOISE_LEVEL,
  };
}

function integer(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value)) throw new PipelineInputError(field, `must be an integer, got ${value}`);
  if (value < min) throw new PipelineInputError(field, `must be at least ${min}, got ${value}`, min);
  if (value > max) throw new PipelineInputError(field, `must be at most ${max}, got ${value}`, max);
}

/** Like diffusers' check_inputs for the upscaler (noise_level <= max_noise_level) plus the API's limits. */
export function checkUpscale(request: UpscaleRequest, maxNoiseLevel: number): void {
  if (request.task !== 'upscale')
    throw new PipelineInputError('task', `${request.task} is not supported by this model`, 'upscale');
  if (!(request.image instanceof Uint8Array))
    throw new PipelineInputError('image', 'is required for task upscale');
  for (const field of ['prompt', 'negative_prompt'] as const) {
    if (typeof request[field] !== 'string') throw new PipelineInputError(field, 'must be a string');
    if (request[field].length > LIMITS.promptMaxChars) {
      throw new PipelineInputError(field, `is ${request[field].length} characters`, LIMITS.promptMaxChars);
    }
  }
  integer('noise_level', request.noise_level, 0, maxNoiseLevel);
  integer('steps', request.steps, LIMITS.stepsMin, LIMITS.stepsMax);
  integer('seed', request.seed, 0, Number.MAX_SAFE_INTEGER - LIMITS.numOutputsMax);
  integer('num_outputs', request.num_outputs, 1, LIMITS.numOutputsMax);
  const g = request.guidance_scale;
  if (!Number.isFinite(g) || g < LIMITS.guidanceMin || g > LIMITS.guidanceMax) {
    throw new PipelineInputError(
      'guidance_scale',
      `must be between ${LIMITS.guidanceMin} and ${LIMITS.guidanceMax}, got ${g}`,
      LIMITS.guidanceMax,
    );
  }
}

import { randomInt } from 'node:crypto';
import { KARRAS_SCHEDULERS, LIMITS, RNGS } from '@ldm/shared';
import type { Rng } from './noise-stream';
import { PipelineInputError } from './pipeline-input-error';

export type PipelineTask = 'txt2img' | 'img2img' | 'inpaint';

/**
 * One generation as the pipeline takes it: the API's field names (snake_case, so a worker
 * passes a job's input through), with `image` and `mask` as encoded file bytes.
 */
export interface PipelineRequest {
  task?: string;
  prompt: string;
  negative_prompt?: string;
  width?: number;
  height?: number;
  steps?: number;
  guidance_scale?: number;
  scheduler?: string;
  /** Karras et al. 2022 sigmas (diffusers' use_karras_sigmas) for the schedulers that have them. */
  use_karras_sigmas?: boolean;
  /** Noise source: `torch` (default; diffusers' CPU generator) or `xoshiro128` (earlier releases). */
  rng?: string;
  /** Image i of the request uses seed + i. Random when omitted. */
  seed?: number;
  num_outputs?: number;
  strength?: number;
  image?: Uint8Array;
  /** White = repaint, black = keep. */
  mask?: Uint8Array;
}

export interface ResolvedRequest {
  task: PipelineTask;
  prompt: string;
  negative_prompt: string;
  width: number;
  height: number;
  steps: number;
  guidance_scale: number;
  scheduler: string;
  use_karras_sigmas: boolean;
  rng: Rng;
  seed: number;
  num_outputs: number;
  strength: number;
  image?: Uint8Array;
  mask?: Uint8Array;
}

/** What the loaded model allows; see PipelineInfo. */
export interface RequestLimits {
  nativeWidth: number;
  nativeHeight: number;
  spatialFactor: number;
  /** Set when the export fixed the latent size: only this size works. */
  fixedSize?: { width: number; height: number };
  maxPixels: number;
  defaultScheduler: string;
  tasks: readonly PipelineTask[];
}

export const DEFAULT_STEPS = 25;
export const DEFAULT_GUIDANCE = 7.5;
export const DEFAULT_STRENGTH = 0.8;

function integer(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw new PipelineInputError(field, `must be an integer, got ${value}`);
  if (value < min) throw new PipelineInputError(field, `must be at least ${min}, got ${value}`, min);
  if (value > max) throw new PipelineInputError(field, `must be at most ${max}, got ${value}`, max);
  return value;
}

function dimension(field: 'width' | 'height', value: number, limits: RequestLimits): number {
  integer(field, value, limits.spatialFactor, LIMITS.dimensionMax);
  const multiple = Math.max(LIMITS.dimensionMultiple, limits.spatialFactor);
  if (value % multiple !== 0)
    throw new PipelineInputError(field, `must be a multiple of ${multiple}, got ${value}`, multiple);
  const fixed = limits.fixedSize?.[field];
  if (fixed !== undefined && value !== fixed) {
    throw new PipelineInputError(field, `this model export only runs at ${fixed}, got ${value}`, fixed);
  }
  return value;
}

/** Fills defaults from the model and checks every field, naming it and its limit on failure. */
export function resolveRequest(request: PipelineRequest, limits: RequestLimits): ResolvedRequest {
  const task = (request.task ??
    (request.mask ? 'inpaint' : request.image ? 'img2img' : 'txt2img')) as PipelineTask;
  if (!limits.tasks.includes(task)) {
    throw new PipelineInputError(
      'task',
      `${request.task} is not supported by this model`,
      limits.tasks.join('|'),
    );
  }
  if (typeof request.prompt !== 'string') throw new PipelineInputError('prompt', 'must be a string');
  if (request.prompt.length > LIMITS.promptMaxChars) {
    throw new PipelineInputError('prompt', `is ${request.prompt.length} characters`, LIMITS.promptMaxChars);
  }
  const negative = request.negative_prompt ?? '';
  if (negative.length > LIMITS.promptMaxChars) {
    throw new PipelineInputError(
      'negative_prompt',
      `is ${negative.length} characters`,
      LIMITS.promptMaxChars,
    );
  }
  const width = dimension('width', request.width ?? limits.fixedSize?.width ?? limits.nativeWidth, limits);
  const height = dimension(
    'height',
    request.height ?? limits.fixedSize?.height ?? limits.nativeHeight,
    limits,
  );
  if (width * height > limits.maxPixels) {
    throw new PipelineInputError('width', `${width}x${height} is more pixels than allowed`, limits.maxPixels);
  }
  const guidance = request.guidance_scale ?? DEFAULT_GUIDANCE;
  if (!Number.isFinite(guidance) || guidance < LIMITS.guidanceMin || guidance > LIMITS.guidanceMax) {
    throw new PipelineInputError(
      'guidance_scale',
      `must be between ${LIMITS.guidanceMin} and ${LIMITS.guidanceMax}, got ${guidance}`,
      LIMITS.guidanceMax,
    );
  }
  const strength = request.strength ?? (task === 'txt2img' ? 1 : DEFAULT_STRENGTH);
  if (!(strength > 0 && strength <= 1))
    throw new PipelineInputError('strength', `must be in (0, 1], got ${strength}`, 1);
  if (task !== 'txt2img' && !request.image)
    throw new PipelineInputError('image', `is required for task ${task}`);
  if (task === 'inpaint' && !request.mask)
    throw new PipelineInputError('mask', 'is required for task inpaint');
  if (task !== 'inpaint' && request.mask)
    throw new PipelineInputError('mask', 'is only accepted for task inpaint');
  const seed = request.seed ?? randomInt(0, LIMITS.seedMax + 1);
  const scheduler = request.scheduler ?? limits.defaultScheduler;
  const karras = request.use_karras_sigmas ?? false;
  if (typeof karras !== 'boolean') throw new PipelineInputError('use_karras_sigmas', 'must be true or false');
  if (karras && !(KARRAS_SCHEDULERS as readonly string[]).includes(scheduler)) {
    throw new PipelineInputError(
      'use_karras_sigmas',
      `${scheduler} has no Karras sigmas`,
      KARRAS_SCHEDULERS.join('|'),
    );
  }
  const rng = request.rng ?? 'torch';
  if (!(RNGS as readonly string[]).includes(rng)) {
    throw new PipelineInputError(
      'rng',
      `must be one of ${RNGS.join(', ')}, got ${JSON.stringify(rng)}`,
      RNGS.join('|'),
    );
  }
  return {
    task,
    prompt: request.prompt,
    negative_prompt: negative,
    width,
    height,
    steps: integer('steps', request.steps ?? DEFAULT_STEPS, LIMITS.stepsMin, LIMITS.stepsMax),
    guidance_scale: guidance,
    scheduler,
    use_karras_sigmas: karras,
    rng: rng as Rng,
    seed: integer('seed', seed, 0, Number.MAX_SAFE_INTEGER - LIMITS.numOutputsMax),
    num_outputs: integer('num_outputs', request.num_outputs ?? 1, 1, LIMITS.numOutputsMax),
    strength,
    image: request.image,
    mask: request.mask,
  };
}

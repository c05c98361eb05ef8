import { KARRAS_SCHEDULERS, LIMITS, type RequestFields, type ResolvedRequest, RNGS } from '@ldm/shared';
import { PipelineInputError } from './pipeline-input-error';

export type PipelineTask = 'txt2img' | 'img2img' | 'inpaint';
export type { ResolvedRequest };

/**
 * One generation as the pipeline takes it: resolved once, by the edge for a job (its `JobInput`)
 * or by a standalone caller through `@ldm/shared`'s `resolveRequest`, with `image` and `mask` as
 * encoded file bytes. The pipeline fills no default; it only checks what depends on the loaded
 * model, as diffusers' `check_inputs` does.
 */
export type PipelineRequest = ResolvedRequest & {
  image?: Uint8Array;
  /** White = repaint, black = keep. */
  mask?: Uint8Array;
};

/**
 * A request as a standalone caller (CLI, benchmarks, tests) writes it: any field left out takes
 * the shared default. The scheduler may be any name: the pipeline says which ones it knows.
 */
export type StandaloneRequest = Omit<RequestFields, 'scheduler'> & {
  scheduler?: string;
  image?: Uint8Array;
  mask?: Uint8Array;
};

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
  /** The model's name, for messages. */
  name: string;
  /** Largest clip_skip the text encoder export allows (0: it has no hidden_states outputs). */
  clipSkipMax: number;
}

function integer(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw new PipelineInputError(field, `must be an integer, got ${value}`);
  if (value < min) throw new PipelineInputError(field, `must be at least ${min}, got ${value}`, min);
  if (value > max) throw new PipelineInputError(field, `must be at most ${max}, got ${value}`, max);
  return value;
}

function dimension(field: 'width' | 'height', value: number, limits: RequestLimits): void {
  integer(field, value, limits.spatialFactor, LIMITS.dimensionMax);
  const multiple = Math.max(LIMITS.dimensionMultiple, limits.spatialFactor);
  if (value % multiple !== 0)
    throw new PipelineInputError(field, `must be a multiple of ${multiple}, got ${value}`, multiple);
  const fixed = limits.fixedSize?.[field];
  if (fixed !== undefined && value !== fixed) {
    throw new PipelineInputError(field, `this model export only runs at ${fixed}, got ${value}`, fixed);
  }
}

/**
 * Checks a resolved request against the loaded model and the API's limits (a worker must not
 * trust a job blindly), naming the field and its limit on failure. Fills nothing.
 */
export function checkRequest(request: PipelineRequest, limits: RequestLimits): void {
  const { task } = request;
  if (!(limits.tasks as readonly string[]).includes(task)) {
    throw new PipelineInputError('task', `${task} is not supported by this model`, limits.tasks.join('|'));
  }
  if (typeof request.prompt !== 'string') throw new PipelineInputError('prompt', 'must be a string');
  if (request.prompt.length > LIMITS.promptMaxChars) {
    throw new PipelineInputError('prompt', `is ${request.prompt.length} characters`, LIMITS.promptMaxChars);
  }
  if (typeof request.negative_prompt !== 'string')
    throw new PipelineInputError('negative_prompt', 'must be a string');
  if (request.negative_prompt.length > LIMITS.promptMaxChars) {
    throw new PipelineInputError(
      'negative_prompt',
      `is ${request.negative_prompt.length} characters`,
      LIMITS.promptMaxChars,
    );
  }
  dimension('width', request.width, limits);
  dimension('height', request.height, limits);
  const { width, height } = request;
  if (width * height > limits.maxPixels) {
    throw new PipelineInputError('width', `${width}x${height} is more pixels than allowed`, limits.maxPixels);
  }
  const guidance = request.guidance_scale;
  if (!Number.isFinite(guidance) || guidance < LIMITS.guidanceMin || guidance > LIMITS.guidanceMax) {
    throw new PipelineInputError(
      'guidance_scale',
      `must be between ${LIMITS.guidanceMin} and ${LIMITS.guidanceMax}, got ${guidance}`,
      LIMITS.guidanceMax,
    );
  }
  const { strength } = request;
  if (!(strength > 0 && strength <= 1))
    throw new PipelineInputError('strength', `must be in (0, 1], got ${strength}`, 1);
  if (task !== 'txt2img' && !request.image)
    throw new PipelineInputError('image', `is required for task ${task}`);
  if (task === 'inpaint' && !request.mask)
    throw new PipelineInputError('mask', 'is required for task inpaint');
  if (task !== 'inpaint' && request.mask)
    throw new PipelineInputError('mask', 'is only accepted for task inpaint');
  const rescale = request.guidance_rescale ?? 0;
  if (!(rescale >= 0 && rescale <= 1))
    throw new PipelineInputError('guidance_rescale', `must be in [0, 1], got ${rescale}`, 1);
  const clipSkip = integer('clip_skip', request.clip_skip ?? 0, 0, LIMITS.clipSkipMax);
  if (clipSkip > 0 && limits.clipSkipMax === 0) {
    throw new PipelineInputError(
      'clip_skip',
      `model ${limits.name}'s text encoder export has no hidden_states outputs (export it with output_hidden_states)`,
      0,
    );
  }
  if (clipSkip > limits.clipSkipMax) {
    throw new PipelineInputError(
      'clip_skip',
      `model ${limits.name}'s text encoder has ${limits.clipSkipMax} layers, got ${clipSkip}`,
      limits.clipSkipMax,
    );
  }
  integer('steps', request.steps, LIMITS.stepsMin, LIMITS.stepsMax);
  integer('seed', request.seed, 0, Number.MAX_SAFE_INTEGER - LIMITS.numOutputsMax);
  integer('num_outputs', request.num_outputs, 1, LIMITS.numOutputsMax);
  const karras = request.use_karras_sigmas ?? false;
  if (typeof karras !== 'boolean') throw new PipelineInputError('use_karras_sigmas', 'must be true or false');
  if (karras && !(KARRAS_SCHEDULERS as readonly string[]).includes(request.scheduler)) {
    throw new PipelineInputError(
      'use_karras_sigmas',
      `${request.scheduler} has no Karras sigmas`,
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
}

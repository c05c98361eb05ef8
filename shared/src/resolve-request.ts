import type { JobInput } from './generation';
import { LIMITS, type SCHEDULERS, type TASKS } from './limits';

type Task = (typeof TASKS)[number];
type Scheduler = (typeof SCHEDULERS)[number];

/**
 * A generation with every default filled in: what the edge stores in a job (`JobInput` adds the
 * model, the output format and the stored images' keys) and what the pipeline runs. Derived from
 * `JobInput`, so a field added there is a resolved field here without restating it.
 */
export type ResolvedRequest = Omit<
  JobInput,
  | 'model'
  | 'model_version'
  | 'output_format'
  | 'image_key'
  | 'mask_key'
  | 'upscaler'
  | 'upscaler_version'
  | 'upscaler_steps'
  | 'upscaler_guidance_scale'
>;

/** The generation part of a stored job's input: what a worker hands its pipeline. */
export function resolvedRequestOf(input: JobInput): ResolvedRequest {
  const {
    model,
    model_version,
    output_format,
    image_key,
    mask_key,
    upscaler,
    upscaler_version,
    upscaler_steps,
    upscaler_guidance_scale,
    ...resolved
  } = input;
  return resolved;
}

/** The request fields a caller may leave out; `resolveRequest` fills them. */
export type RequestFields = Partial<ResolvedRequest>;

/**
 * The project's defaults, as diffusers' Stable Diffusion pipelines have them. A model's catalog
 * entry (`default_steps`, `default_guidance_scale`, `default_scheduler`) takes precedence.
 */
export const REQUEST_DEFAULTS = {
  steps: 50,
  guidance_scale: 7.5,
  num_outputs: 1,
  negative_prompt: '',
  /** diffusers: guidance_rescale 0.0 (plain CFG), clip_skip None (the last layer). */
  guidance_rescale: 0,
  clip_skip: 0,
  /** SDXL base + refiner: the base denoises the first 80 % (diffusers' documented high_noise_frac). */
  denoising_end: 0.8,
  /** diffusers: use_karras_sigmas False; noise from torch.randn with a CPU generator per image. */
  use_karras_sigmas: false,
  rng: 'torch',
  /** diffusers: img2img 0.8, inpainting 1.0 (pure noise under the mask); text-to-image has no strength. */
  strength: { txt2img: 1, img2img: 0.8, inpaint: 1, upscale: 1 } satisfies Record<Task, number>,
  /** diffusers' StableDiffusionUpscalePipeline default. */
  noise_level: 20,
} as const;

/** What the resolver needs to know of a model: its defaults and size limits. `ModelInfo` is one. */
export interface ModelDefaults {
  native_width: number;
  native_height: number;
  min_size: number;
  max_size: number;
  max_pixels: number;
  default_scheduler: Scheduler;
  /** Without one, REQUEST_DEFAULTS.steps. */
  default_steps?: number;
  default_guidance_scale?: number;
  /** Per-task strength defaults of the model's diffusers pipelines (SDXL: img2img 0.3, inpaint 0.9999). */
  default_strength?: { img2img?: number; inpaint?: number };
  /** Width and height are multiples of this (default LIMITS.dimensionMultiple). */
  size_multiple?: number;
}

export interface ImageSize {
  width: number;
  height: number;
}

/** The SDXL request fields (micro-conditioning and refiners' aesthetic scores). */
export const SDXL_CONDITIONING_FIELDS = [
  'original_size',
  'crops_coords_top_left',
  'target_size',
  'negative_original_size',
  'negative_crops_coords_top_left',
  'negative_target_size',
  'aesthetic_score',
  'negative_aesthetic_score',
] as const satisfies readonly (keyof ResolvedRequest)[];

function pickDefined<T extends object, K extends keyof T>(
  source: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/**
 * upscale: the output is 4x the input, whose sides are first rounded down to a multiple of 8 (the
 * x4 upscaler's UNet halves its latents); never clamped, so a too large input fails the model's checks.
 */
export function upscaledSize(image: ImageSize): ImageSize {
  const side = (v: number) =>
    Math.floor(v / LIMITS.dimensionMultiple) * LIMITS.dimensionMultiple * LIMITS.upscaleFactor;
  return { width: side(image.width), height: side(image.height) };
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * img2img/inpaint without a size: the input image's own size rounded down to a multiple of 8 (as
 * diffusers' VaeImageProcessor.get_default_height_width), kept within the model's limits; a too
 * large image is scaled down as a whole so the aspect ratio stays.
 */
export function sizeFromImage(image: ImageSize, model: ModelDefaults): ImageSize {
  const multiple = Math.max(LIMITS.dimensionMultiple, model.size_multiple ?? 0);
  const pixelScale = Math.min(1, Math.sqrt(model.max_pixels / (image.width * image.height)));
  const sideScale = Math.min(1, model.max_size / image.width, model.max_size / image.height);
  const scale = Math.min(pixelScale, sideScale);
  const fit = (value: number) => {
    const rounded = Math.floor((value * scale) / multiple) * multiple;
    return Math.min(model.max_size, Math.max(model.min_size, rounded));
  };
  return { width: fit(image.width), height: fit(image.height) };
}

/**
 * Fills every default of a request: the one place defaults are decided, for the edge (against
 * the catalog entry) and for the standalone CLI (against the loaded export). Checks belong to the
 * caller: the edge names each field against the catalog, the pipeline against the loaded model.
 * `image` is the input image's size, which img2img/inpaint take as the output size when the
 * request names none.
 */
export function resolveRequest(
  request: RequestFields & { image?: unknown; mask?: unknown },
  model: ModelDefaults,
  image?: ImageSize,
): ResolvedRequest {
  const task: Task = request.task ?? (request.mask ? 'inpaint' : request.image ? 'img2img' : 'txt2img');
  const fromImage =
    image && task === 'upscale'
      ? upscaledSize(image)
      : image && task !== 'txt2img'
        ? sizeFromImage(image, model)
        : undefined;
  return {
    task,
    prompt: request.prompt ?? '',
    negative_prompt: request.negative_prompt ?? REQUEST_DEFAULTS.negative_prompt,
    width: request.width ?? fromImage?.width ?? model.native_width,
    height: request.height ?? fromImage?.height ?? model.native_height,
    steps: request.steps ?? model.default_steps ?? REQUEST_DEFAULTS.steps,
    guidance_scale: request.guidance_scale ?? model.default_guidance_scale ?? REQUEST_DEFAULTS.guidance_scale,
    guidance_rescale: request.guidance_rescale ?? REQUEST_DEFAULTS.guidance_rescale,
    clip_skip: request.clip_skip ?? REQUEST_DEFAULTS.clip_skip,
    // Not a public request field: the edge sets it from the account or the catalog; a
    // standalone caller may name it. Absent = the worker's setting.
    ...(request.safety_checker ? { safety_checker: request.safety_checker } : {}),
    // SDXL micro-conditioning: passed on only when given; their defaults depend on the output
    // size and the model (refiner or base), so the SDXL pipeline fills them as diffusers does.
    ...pickDefined(request, SDXL_CONDITIONING_FIELDS),
    // A refiner takes over at denoising_end, diffusers' example's 0.8 unless given.
    ...(request.refiner
      ? {
          refiner: request.refiner,
          denoising_end: request.denoising_end ?? REQUEST_DEFAULTS.denoising_end,
          ...(request.refiner_version ? { refiner_version: request.refiner_version } : {}),
        }
      : {}),
    scheduler: request.scheduler ?? model.default_scheduler,
    use_karras_sigmas: request.use_karras_sigmas ?? REQUEST_DEFAULTS.use_karras_sigmas,
    rng: request.rng ?? REQUEST_DEFAULTS.rng,
    seed: request.seed ?? randomSeed(),
    num_outputs: request.num_outputs ?? REQUEST_DEFAULTS.num_outputs,
    strength:
      request.strength ??
      (task === 'img2img' || task === 'inpaint' ? model.default_strength?.[task] : undefined) ??
      REQUEST_DEFAULTS.strength[task],
    ...(task === 'upscale' || request.upscale !== undefined
      ? { noise_level: request.noise_level ?? REQUEST_DEFAULTS.noise_level }
      : {}),
    ...(request.upscale !== undefined && task === 'txt2img' ? { upscale: request.upscale } : {}),
  };
}

/**
 * Absolute limits of the public API. A model narrows sizes and steps further (see ModelInfo);
 * these are the ceilings no model can exceed, so validation can name them without a lookup.
 */
const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
/** base64 is 4 characters per 3 bytes; 100 more for `data:image/webp;base64,` and the like. */
const IMAGE_INPUT_MAX_CHARS = Math.ceil(IMAGE_MAX_BYTES / 3) * 4 + 100;

export const LIMITS = {
  promptMaxChars: 2_000,
  /**
   * CLIP tokens of one prompt chunk (77 with the start and end tokens). Longer prompts are
   * split into chunks whose embeddings are concatenated; each chunk is one text-encoder run
   * and lengthens the UNet's cross-attention context by 77.
   */
  promptChunkTokens: 75,
  /** Tokens of a prompt (and of a negative prompt): 4 chunks. The edge checks a lower bound, the worker the count. */
  promptMaxTokens: 300,
  /** `(text:w)`: largest weight w. */
  promptWeightMax: 10,
  /** Brackets open at once in a prompt. */
  promptMaxNesting: 10,
  dimensionMin: 64,
  dimensionMax: 2_048,
  dimensionMultiple: 8,
  stepsMin: 1,
  stepsMax: 150,
  /**
   * Largest step count a worker reports in a heartbeat: a chained upscale adds its upscaler's
   * steps per image to the denoising steps (gpu-worker generate-or-upscale.ts), so the ceiling is
   * stepsMax for the base plus stepsMax per output.
   */
  progressStepsMax: 150 * (1 + 4),
  guidanceMin: 0,
  guidanceMax: 30,
  /** `clip_skip`: text-encoder layers skipped (diffusers: hidden_states[-(clip_skip + 1)]). */
  clipSkipMax: 12,
  numOutputsMax: 4,
  /** SDXL micro-conditioning (`original_size`, `target_size`, crop): largest value of each side, in pixels. */
  microConditioningMax: 16_384,
  /** SDXL refiners' `aesthetic_score` (LAION aesthetic ratings are 0-10). */
  aestheticScoreMax: 10,
  seedMax: 4_294_967_295,
  /** Decoded bytes of one input image (`image` or `mask`). */
  imageMaxBytes: IMAGE_MAX_BYTES,
  /** Characters of one input image as sent: base64 of imageMaxBytes plus a data-URL prefix. */
  imageInputMaxChars: IMAGE_INPUT_MAX_CHARS,
  /**
   * Pixels (width x height) of one input image: what the GPU worker decodes at most
   * (gpu-worker/src/image/decode-input.ts reads this), so the edge refuses what it would.
   */
  inputMaxPixels: 4096 * 4096,
  /**
   * Whole JSON body of a submit: the largest legal request is an inpaint with an image and a mask
   * at imageInputMaxChars each; every other field fits in 64 KiB even with each character of the
   * prompts and the webhook URL escaped as \uXXXX.
   */
  bodyMaxBytes: 2 * IMAGE_INPUT_MAX_CHARS + 64 * 1024,
  /** Most entries in an error's `details` (a body of 200k unknown keys once answered with all of them). */
  errorDetailsMax: 20,
  webhookUrlMaxChars: 2_048,
  idempotencyKeyMaxChars: 255,
  listLimitMax: 100,
  /** Highest `noise_level` of an upscale (diffusers' StableDiffusionUpscalePipeline max_noise_level). */
  noiseLevelMax: 350,
  /** The only upscale factor (Stable Diffusion's x4 upscaler layout). */
  upscaleFactor: 4,
  /** Longest `Prefer: wait=N` honoured, in seconds. */
  preferWaitMaxSeconds: 60,
} as const;

export const TASKS = ['txt2img', 'img2img', 'inpaint', 'upscale'] as const;
/**
 * The schedulers a request may name, the one list the worker's `createScheduler` and the API
 * schema share (gpu-worker/src/schedulers/README.md says what each is in diffusers' terms).
 */
export const SCHEDULERS = [
  'ddim',
  'pndm',
  'euler',
  'euler_ancestral',
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'lcm',
  'lms',
  'heun',
  'kdpm2',
  'dpmpp_2m_sde',
  'deis',
  'unipc',
] as const;
/**
 * What happens to an image the model's safety checker flags: replaced by a black image
 * (`block`, diffusers' behaviour), blurred beyond recognition (`blur`), or the checker is not
 * run (`off`). Chosen per model (catalog) and per account (admin API).
 */
export const SAFETY_MODES = ['block', 'blur', 'off'] as const;
export type SafetyMode = (typeof SAFETY_MODES)[number];
/**
 * The schedulers whose sigmas can be Karras et al. 2022's (diffusers' `use_karras_sigmas`); the
 * request's `use_karras_sigmas` is refused for the others (DDIM, PNDM, Euler ancestral and LCM
 * have no such option in diffusers).
 */
export const KARRAS_SCHEDULERS = [
  'euler',
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'dpmpp_2m_sde',
  'lms',
  'heun',
  'kdpm2',
  'deis',
  'unipc',
] as const satisfies readonly (typeof SCHEDULERS)[number][];
/**
 * Schedulers that evaluate the model twice per step (diffusers' order 2): N steps are 2N - 1
 * UNet evaluations, which is what a request costs in compute and is priced by.
 */
export const SECOND_ORDER_SCHEDULERS = ['heun', 'kdpm2'] as const;

/** UNet evaluations of a schedule of `steps` steps with this scheduler (the priced "steps"). */
export function modelEvaluations(scheduler: string, steps: number): number {
  return (SECOND_ORDER_SCHEDULERS as readonly string[]).includes(scheduler) ? 2 * steps - 1 : steps;
}
/**
 * Where a request's noise comes from. `torch`: torch.randn with a CPU generator seeded
 * seed + k for image k, so a seed gives the image diffusers gives on CPU (the default).
 * `xoshiro128`: the generator of earlier releases (xoshiro128** and Box-Muller), kept so their
 * seeds still give the same images.
 */
export const RNGS = ['torch', 'xoshiro128'] as const;
export const OUTPUT_FORMATS = ['png', 'webp', 'jpeg'] as const;
export const WEBHOOK_EVENTS = ['start', 'completed'] as const;
export const GENERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const TERMINAL_STATUSES = ['succeeded', 'failed', 'canceled'] as const;

export const CONTENT_TYPES: Record<(typeof OUTPUT_FORMATS)[number], string> = {
  png: 'image/png',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
};

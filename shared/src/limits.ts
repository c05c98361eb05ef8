/**
 * Absolute limits of the public API. A model narrows sizes and steps further (see ModelInfo);
 * these are the ceilings no model can exceed, so validation can name them without a lookup.
 */
export const LIMITS = {
  promptMaxChars: 2_000,
  dimensionMin: 64,
  dimensionMax: 2_048,
  dimensionMultiple: 8,
  stepsMin: 1,
  stepsMax: 150,
  guidanceMin: 0,
  guidanceMax: 30,
  numOutputsMax: 4,
  seedMax: 4_294_967_295,
  /** Decoded bytes of one input image (`image` or `mask`). */
  imageMaxBytes: 10 * 1024 * 1024,
  /** Whole JSON body; two base64 images fit under it. */
  bodyMaxBytes: 30 * 1024 * 1024,
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
export const SCHEDULERS = [
  'ddim',
  'pndm',
  'euler',
  'euler_ancestral',
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'lcm',
] as const;
export const OUTPUT_FORMATS = ['png', 'webp', 'jpeg'] as const;
export const WEBHOOK_EVENTS = ['start', 'completed'] as const;
export const GENERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const TERMINAL_STATUSES = ['succeeded', 'failed', 'canceled'] as const;

export const CONTENT_TYPES: Record<(typeof OUTPUT_FORMATS)[number], string> = {
  png: 'image/png',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
};

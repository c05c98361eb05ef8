import { z } from 'zod';
import {
  GENERATION_STATUSES,
  KARRAS_SCHEDULERS,
  LIMITS,
  OUTPUT_FORMATS,
  RNGS,
  SAFETY_MODES,
  SCHEDULERS,
  TASKS,
  WEBHOOK_EVENTS,
} from './limits';
import { checkPromptSyntax } from './prompt-syntax';

const dimension = (name: 'width' | 'height') =>
  z
    .int()
    .min(LIMITS.dimensionMin)
    .max(LIMITS.dimensionMax)
    .multipleOf(LIMITS.dimensionMultiple, {
      message: `${name} must be a multiple of ${LIMITS.dimensionMultiple}`,
    })
    .optional()
    .describe(
      `Pixels; a multiple of 8 within the model's limits. Defaults to the model's native size; for img2img and inpaint to the input image's size rounded down to a multiple of 8 (the image is resized to the output size, as diffusers does).`,
    );

/** SDXL micro-conditioning: a (height, width) or (top, left) pair in pixels, diffusers' tuple order. */
const pixelPair = (min: number, what: string) =>
  z
    .tuple([
      z.int().min(min).max(LIMITS.microConditioningMax),
      z.int().min(min).max(LIMITS.microConditioningMax),
    ])
    .optional()
    .describe(`SDXL models only: ${what}`);

const aestheticScore = (what: string) =>
  z.number().min(0).max(LIMITS.aestheticScoreMax).optional().describe(`SDXL refiners only: ${what}`);

/** The SDXL conditioning fields, in the request and (as given) in the job. */
const sdxlFields = {
  original_size: pixelPair(
    1,
    '[height, width] of the training image the model should imitate (diffusers original_size). Default: the output size.',
  ),
  crops_coords_top_left: pixelPair(0, '[top, left] crop the model should imitate. Default: [0, 0].'),
  target_size: pixelPair(1, '[height, width] target size conditioning. Default: the output size.'),
  negative_original_size: pixelPair(1, 'original_size of the unconditional pass. Default: original_size.'),
  negative_crops_coords_top_left: pixelPair(
    0,
    'crops_coords_top_left of the unconditional pass. Default: crops_coords_top_left.',
  ),
  negative_target_size: pixelPair(1, 'target_size of the unconditional pass. Default: target_size.'),
  aesthetic_score: aestheticScore('aesthetic score conditioning (diffusers default 6.0).'),
  negative_aesthetic_score: aestheticScore('aesthetic score of the unconditional pass (default 2.5).'),
};

/** SDXL base + refiner in one job (diffusers' "ensemble of expert denoisers"). */
const refinerFields = {
  refiner: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      "SDXL base models only: an SDXL refiner of the catalog that takes over at denoising_end (diffusers' denoising_end / denoising_start); the worker must serve both.",
    ),
  denoising_end: z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .describe(
      'With refiner: the fraction of the noise schedule the base model denoises before the refiner continues (default 0.8).',
    ),
};

/** A data URL (`data:image/png;base64,...`) or bare base64. Bytes and magic numbers are checked by the edge. */
const imageInput = z
  .string()
  .min(1)
  .max(LIMITS.imageInputMaxChars)
  .describe(
    `PNG, JPEG or WebP as a data URL or base64, at most ${LIMITS.imageMaxBytes} bytes decoded and ${LIMITS.inputMaxPixels} pixels.`,
  );

export const GenerationRequest = z
  .strictObject({
    model: z.string().min(1).max(100).optional().describe('Model name; the platform default when omitted.'),
    task: z.enum(TASKS).default('txt2img'),
    prompt: z
      .string()
      .max(LIMITS.promptMaxChars)
      .default('')
      .describe(
        `At most ${LIMITS.promptMaxTokens} CLIP tokens, encoded in chunks of ${LIMITS.promptChunkTokens}. Weights: (text) x1.1, [text] /1.1, (text:1.3); \\( \\) \\[ \\] are literal brackets.`,
      ),
    negative_prompt: z
      .string()
      .max(LIMITS.promptMaxChars)
      .default('')
      .describe('Same syntax and limits as prompt.'),
    width: dimension('width'),
    height: dimension('height'),
    steps: z.int().min(LIMITS.stepsMin).max(LIMITS.stepsMax).optional(),
    guidance_scale: z.number().min(LIMITS.guidanceMin).max(LIMITS.guidanceMax).optional(),
    guidance_rescale: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "Mixes the guided noise prediction with its copy rescaled to the text prediction's standard deviation (Lin et al. 2024, diffusers' rescale_noise_cfg). 0 (default) is plain classifier-free guidance.",
      ),
    clip_skip: z
      .int()
      .min(0)
      .max(LIMITS.clipSkipMax)
      .optional()
      .describe(
        "Text-encoder layers to skip (diffusers' clip_skip): 1 uses the penultimate layer's output, then the final layer norm. 0 (default) is the last layer. Needs a text encoder export with hidden_states outputs.",
      ),
    ...sdxlFields,
    ...refinerFields,
    scheduler: z.enum(SCHEDULERS).optional(),
    use_karras_sigmas: z
      .boolean()
      .default(false)
      .describe(
        `Karras et al. 2022 sigmas, as diffusers' use_karras_sigmas; for ${KARRAS_SCHEDULERS.join(', ')}.`,
      ),
    rng: z
      .enum(RNGS)
      .default('torch')
      .describe(
        "Noise source. torch: torch.randn with a CPU generator seeded seed + k for image k, as diffusers on CPU; xoshiro128: earlier releases' generator.",
      ),
    seed: z
      .int()
      .min(0)
      .max(LIMITS.seedMax)
      .optional()
      .describe(
        'Fixing the seed makes the request deterministic and cacheable: a repeat by the same account and key mode (test or live) is answered from the stored outputs (`cached: true`). Random when omitted.',
      ),
    num_outputs: z.int().min(1).max(LIMITS.numOutputsMax).default(1),
    output_format: z.enum(OUTPUT_FORMATS).default('png'),
    image: imageInput.optional(),
    mask: imageInput.optional().describe('White = repaint, black = keep. Same size as `image`.'),
    strength: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'img2img/inpaint: how much of the image to repaint. Defaults as diffusers: 0.8 for img2img, 1.0 for inpaint.',
      ),
    noise_level: z
      .int()
      .min(0)
      .max(LIMITS.noiseLevelMax)
      .optional()
      .describe(
        "upscale: how much noise is added to the low-resolution input before upscaling (the x4 upscaler's class label). Default 20.",
      ),
    upscale: z
      .literal(LIMITS.upscaleFactor)
      .optional()
      .describe(
        'txt2img without refiner: also upscale x4 with the default upscaler in the same job (one generation, one bill, outputs 4x the size).',
      ),
    webhook: z
      .url({ protocol: /^https?$/ })
      .max(LIMITS.webhookUrlMaxChars)
      .optional(),
    webhook_events_filter: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .max(WEBHOOK_EVENTS.length)
      .default(['start', 'completed']),
  })
  .superRefine((req, ctx) => {
    for (const field of ['prompt', 'negative_prompt'] as const) {
      const problem = checkPromptSyntax(req[field]);
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: `${field} ${problem.message}` });
    }
    if (req.task !== 'upscale' && req.prompt.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: `prompt is required for task ${req.task}` });
    }
    if (req.task !== 'txt2img' && !req.image) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: `image is required for task ${req.task}` });
    }
    if (req.task === 'inpaint' && !req.mask) {
      ctx.addIssue({ code: 'custom', path: ['mask'], message: 'mask is required for task inpaint' });
    }
    if (
      req.use_karras_sigmas &&
      req.scheduler &&
      !(KARRAS_SCHEDULERS as readonly string[]).includes(req.scheduler)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['use_karras_sigmas'],
        message: `${req.scheduler} has no Karras sigmas; use one of ${KARRAS_SCHEDULERS.join(', ')}`,
      });
    }
    if (req.denoising_end !== undefined && req.refiner === undefined) {
      ctx.addIssue({ code: 'custom', path: ['denoising_end'], message: 'denoising_end needs a refiner' });
    }
    if (req.noise_level !== undefined && req.task !== 'upscale' && req.upscale === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['noise_level'],
        message: 'noise_level is only accepted when upscaling',
      });
    }
    if (req.upscale !== undefined && req.task !== 'txt2img') {
      ctx.addIssue({
        code: 'custom',
        path: ['upscale'],
        message: 'upscale is only accepted for task txt2img',
      });
    }
    // The worker's refiner branch has no upscale step: refused here rather than billed as 4x and served 1x.
    if (req.upscale !== undefined && req.refiner !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['upscale'],
        message: 'upscale cannot be combined with refiner',
      });
    }
    if (req.mask && req.task !== 'inpaint') {
      ctx.addIssue({ code: 'custom', path: ['mask'], message: 'mask is only accepted for task inpaint' });
    }
  })
  .meta({
    id: 'GenerationRequest',
    description:
      `The whole JSON body is at most ${LIMITS.bodyMaxBytes} bytes (413 payload_too_large beyond, with or ` +
      'without Content-Length): room for an inpaint with `image` and `mask` at their limits and 64 KiB ' +
      `for the other fields. An input image is at most ${LIMITS.imageMaxBytes} bytes decoded and ` +
      `${LIMITS.inputMaxPixels} pixels (width x height).`,
  });
export type GenerationRequestInput = z.input<typeof GenerationRequest>;
export type GenerationRequest = z.output<typeof GenerationRequest>;

/**
 * The request after the edge resolved every default against the model: what a worker runs and
 * what the cache fingerprints. Images are replaced by references to stored inputs.
 */
export const JobInput = z
  .object({
    model: z.string(),
    model_version: z.string(),
    task: z.enum(TASKS),
    prompt: z.string(),
    negative_prompt: z.string(),
    width: z.int(),
    height: z.int(),
    steps: z.int(),
    guidance_scale: z.number(),
    // Optional: jobs stored before these fields existed have none (= 0, diffusers' default).
    guidance_rescale: z.number().optional(),
    clip_skip: z.int().optional(),
    // SDXL micro-conditioning as the caller gave it; absent = diffusers' default (the pipeline's).
    ...sdxlFields,
    ...refinerFields,
    refiner_version: z
      .string()
      .optional()
      .describe("The refiner's catalog version (part of the cache fingerprint)."),
    safety_checker: z
      .enum(SAFETY_MODES)
      .optional()
      .describe("The account's or the model's safety checker mode; the worker's setting when absent."),
    scheduler: z.enum(SCHEDULERS),
    use_karras_sigmas: z.boolean().optional().describe('Absent: false.'),
    rng: z.enum(RNGS).optional().describe('Absent: torch.'),
    seed: z.int(),
    num_outputs: z.int(),
    output_format: z.enum(OUTPUT_FORMATS),
    strength: z.number(),
    noise_level: z
      .int()
      .optional()
      .describe('upscale (and txt2img with upscale): the low-resolution noise level.'),
    upscale: z.literal(LIMITS.upscaleFactor).optional(),
    upscaler: z.string().optional().describe('txt2img with upscale: the upscaler model that runs after it.'),
    upscaler_version: z.string().optional(),
    upscaler_steps: z.int().optional(),
    upscaler_guidance_scale: z.number().optional(),
    image_key: z.string().optional().describe('Object-store key of the uploaded input image.'),
    mask_key: z.string().optional(),
  })
  .meta({ id: 'JobInput' });
export type JobInput = z.infer<typeof JobInput>;

export const GenerationOutput = z
  .object({
    url: z.string(),
    content_type: z.string(),
    width: z.int(),
    height: z.int(),
    seed: z.int(),
    nsfw: z
      .boolean()
      .optional()
      .describe(
        "The model's safety checker flagged this image: it was replaced by a black image or blurred. Absent when no check ran.",
      ),
  })
  .meta({ id: 'GenerationOutput' });
export type GenerationOutput = z.infer<typeof GenerationOutput>;

export const GenerationError = z
  .object({ code: z.string(), message: z.string() })
  .meta({ id: 'GenerationError' });

export const Generation = z
  .object({
    id: z.string(),
    model: z.string(),
    status: z.enum(GENERATION_STATUSES),
    input: JobInput.omit({ image_key: true, mask_key: true }).extend({
      webhook: z.string().optional(),
      webhook_events_filter: z.array(z.enum(WEBHOOK_EVENTS)).optional(),
    }),
    progress: z.object({ step: z.int(), total: z.int() }).nullable(),
    outputs: z.array(GenerationOutput),
    error: GenerationError.nullable(),
    cached: z
      .boolean()
      .describe(
        'Answered from the result cache: an identical seeded request of the same account and mode had succeeded. The cache and the coalescing of identical requests in flight never cross accounts, nor test and live mode.',
      ),
    livemode: z
      .boolean()
      .describe(
        'false when a test key (`ldm_test_...`) made it: free (no credits held or spent, no usage billed), counted against the daily test quota. true for live keys.',
      ),
    created_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    completed_at: z.iso.datetime().nullable(),
    metrics: z.object({ queue_ms: z.int().nullable(), inference_ms: z.int().nullable() }),
    usage: z.object({ units: z.number() }),
    urls: z.object({ get: z.string(), cancel: z.string(), events: z.string() }),
  })
  .meta({ id: 'Generation' });
export type Generation = z.infer<typeof Generation>;

export const GenerationList = z
  .object({ data: z.array(Generation), next_cursor: z.string().nullable() })
  .meta({ id: 'GenerationList' });
export type GenerationList = z.infer<typeof GenerationList>;

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(LIMITS.listLimitMax).default(20),
  cursor: z.string().max(200).optional(),
});

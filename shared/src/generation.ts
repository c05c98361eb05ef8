import { z } from 'zod';
import { GENERATION_STATUSES, LIMITS, OUTPUT_FORMATS, SCHEDULERS, TASKS, WEBHOOK_EVENTS } from './limits';

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

/** A data URL (`data:image/png;base64,...`) or bare base64. Bytes and magic numbers are checked by the edge. */
const imageInput = z
  .string()
  .min(1)
  .max(Math.ceil((LIMITS.imageMaxBytes * 4) / 3) + 100)
  .describe(`PNG, JPEG or WebP as a data URL or base64, at most ${LIMITS.imageMaxBytes} bytes decoded.`);

export const GenerationRequest = z
  .strictObject({
    model: z.string().min(1).max(100).optional().describe('Model name; the platform default when omitted.'),
    task: z.enum(TASKS).default('txt2img'),
    prompt: z.string().max(LIMITS.promptMaxChars).default(''),
    negative_prompt: z.string().max(LIMITS.promptMaxChars).default(''),
    width: dimension('width'),
    height: dimension('height'),
    steps: z.int().min(LIMITS.stepsMin).max(LIMITS.stepsMax).optional(),
    guidance_scale: z.number().min(LIMITS.guidanceMin).max(LIMITS.guidanceMax).optional(),
    scheduler: z.enum(SCHEDULERS).optional(),
    seed: z
      .int()
      .min(0)
      .max(LIMITS.seedMax)
      .optional()
      .describe('Fixing the seed makes the request deterministic and cacheable. Random when omitted.'),
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
        'txt2img: also upscale x4 with the default upscaler in the same job (one generation, one bill, outputs 4x the size).',
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
    if (req.task !== 'upscale' && req.prompt.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: `prompt is required for task ${req.task}` });
    }
    if (req.task !== 'txt2img' && !req.image) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: `image is required for task ${req.task}` });
    }
    if (req.task === 'inpaint' && !req.mask) {
      ctx.addIssue({ code: 'custom', path: ['mask'], message: 'mask is required for task inpaint' });
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
    if (req.mask && req.task !== 'inpaint') {
      ctx.addIssue({ code: 'custom', path: ['mask'], message: 'mask is only accepted for task inpaint' });
    }
  })
  .meta({ id: 'GenerationRequest' });
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
    scheduler: z.enum(SCHEDULERS),
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
    cached: z.boolean(),
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

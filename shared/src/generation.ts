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
    .describe(`Pixels; a multiple of 8 within the model's limits. Defaults to the model's native size.`);

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
      .default(0.8)
      .describe('img2img/inpaint: how much of the image to repaint.'),
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
    scheduler: z.enum(SCHEDULERS),
    seed: z.int(),
    num_outputs: z.int(),
    output_format: z.enum(OUTPUT_FORMATS),
    strength: z.number(),
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

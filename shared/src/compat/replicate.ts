import { z } from 'zod';
import { LIMITS, OUTPUT_FORMATS, SCHEDULERS } from '../limits';

/**
 * The Replicate predictions API as the official `replicate` client speaks it
 * (`/replicate/v1/...`). A model's inputs use Replicate's usual Stable Diffusion names.
 */
export const ReplicateInput = z
  .strictObject({
    prompt: z.string().max(LIMITS.promptMaxChars).default(''),
    negative_prompt: z.string().max(LIMITS.promptMaxChars).default(''),
    width: z.int().optional().describe("Pixels, a multiple of 8 within the model's limits; default: native."),
    height: z.int().optional(),
    num_inference_steps: z.int().min(LIMITS.stepsMin).max(LIMITS.stepsMax).optional(),
    guidance_scale: z.number().min(LIMITS.guidanceMin).max(LIMITS.guidanceMax).optional(),
    scheduler: z.enum(SCHEDULERS).optional(),
    seed: z.int().min(0).max(LIMITS.seedMax).optional().describe('Random when omitted.'),
    num_outputs: z.int().min(1).max(LIMITS.numOutputsMax).default(1),
    output_format: z.enum(OUTPUT_FORMATS).default('png'),
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        'An https URL (fetched by the platform, public addresses only) or a data URL. With it: img2img.',
      ),
    mask: z
      .string()
      .min(1)
      .optional()
      .describe('Same forms as image; white = repaint, black = keep. With it: inpaint.'),
    prompt_strength: z.number().min(0).max(1).default(0.8).describe('img2img/inpaint: how much to repaint.'),
  })
  .meta({ id: 'ReplicateInput' });
export type ReplicateInput = z.output<typeof ReplicateInput>;

/** Replicate's filters; `output` and `logs` are accepted and delivered as the platform's progress events. */
export const REPLICATE_WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;

const predictionFields = {
  input: z.record(z.string(), z.unknown()),
  webhook: z.string().max(LIMITS.webhookUrlMaxChars).optional(),
  webhook_events_filter: z.array(z.enum(REPLICATE_WEBHOOK_EVENTS)).min(1).max(4).optional(),
  stream: z.boolean().optional().describe('Ignored: every prediction has `urls.stream`.'),
};
export const ReplicateModelPredictionRequest = z
  .object(predictionFields)
  .meta({ id: 'ReplicateModelPredictionRequest' });
export const ReplicateVersionPredictionRequest = z
  .object({ version: z.string().min(1).max(200), ...predictionFields })
  .meta({ id: 'ReplicateVersionPredictionRequest' });

export const REPLICATE_STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled'] as const;

export const ReplicatePrediction = z
  .object({
    id: z.string(),
    model: z.string().describe('owner/name, e.g. ldm/demo-shapes'),
    version: z.string(),
    input: z.record(z.string(), z.unknown()),
    output: z
      .array(z.string())
      .nullable()
      .describe(
        'Image URLs: signed https/http links, or data URLs in a `Prefer: wait` answer that finished (so the client wraps them in FileOutput on any stack).',
      ),
    error: z.string().nullable(),
    logs: z.string().describe('One line per denoising step, `NN%|bar| step/total`.'),
    status: z.enum(REPLICATE_STATUSES),
    data_removed: z.boolean(),
    source: z.literal('api'),
    created_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    metrics: z.object({ predict_time: z.number().optional() }),
    urls: z.object({ get: z.string(), cancel: z.string(), stream: z.string() }),
  })
  .meta({ id: 'ReplicatePrediction' });
export type ReplicatePrediction = z.output<typeof ReplicatePrediction>;

export const ReplicatePredictionPage = z
  .object({
    previous: z.string().nullable(),
    next: z.string().nullable().describe('Absolute URL of the next page.'),
    results: z.array(ReplicatePrediction),
  })
  .meta({ id: 'ReplicatePredictionPage' });

export const ReplicateError = z
  .object({
    title: z.string(),
    detail: z.string(),
    status: z.int(),
    invalid_fields: z
      .array(z.object({ type: z.string(), field: z.string(), description: z.string() }))
      .optional(),
  })
  .meta({ id: 'ReplicateError' });

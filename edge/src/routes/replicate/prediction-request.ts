import {
  type GenerationRequestInput,
  type ModelInfo,
  type REPLICATE_WEBHOOK_EVENTS,
  ReplicateInput,
  type WEBHOOK_EVENTS,
} from '@ldm/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { imageInputAsDataUrl } from '../../compat/fetch-image-input';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { fieldIssues } from '../../errors/zod-issues';

/**
 * Replicate's webhook filters on the platform's events: `start` and `completed` as they are;
 * `output` arrives with `completed` (images exist only at the end); `logs` with `start`.
 */
const EVENTS: Record<(typeof REPLICATE_WEBHOOK_EVENTS)[number], (typeof WEBHOOK_EVENTS)[number]> = {
  start: 'start',
  logs: 'start',
  output: 'completed',
  completed: 'completed',
};

function parseOr422<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = fieldIssues(result.error).map((d) => ({ ...d, field: `${prefix}${d.field}` }));
  throw new ApiError('validation_error', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
}

/** A Replicate create body (`input`, `webhook`, `webhook_events_filter`) as a platform request. */
export async function generationRequestOf(
  c: Context<AppEnv>,
  model: ModelInfo,
  body: { input: Record<string, unknown>; webhook?: string; webhook_events_filter?: (keyof typeof EVENTS)[] },
): Promise<GenerationRequestInput> {
  const input = parseOr422(ReplicateInput, body.input, 'input.');
  const config = c.get('config');
  const [image, mask] = await Promise.all([
    input.image ? imageInputAsDataUrl('input.image', input.image, config) : undefined,
    input.mask ? imageInputAsDataUrl('input.mask', input.mask, config) : undefined,
  ]);
  const events = body.webhook_events_filter
    ? [...new Set(body.webhook_events_filter.map((e) => EVENTS[e]))]
    : undefined;
  return {
    model: model.name,
    task: image ? (mask ? 'inpaint' : 'img2img') : 'txt2img',
    prompt: input.prompt,
    negative_prompt: input.negative_prompt,
    width: input.width,
    height: input.height,
    steps: input.num_inference_steps,
    guidance_scale: input.guidance_scale,
    scheduler: input.scheduler,
    seed: input.seed,
    num_outputs: input.num_outputs,
    output_format: input.output_format,
    ...(image ? { image, strength: input.prompt_strength } : {}),
    ...(mask ? { mask } : {}),
    ...(body.webhook ? { webhook: body.webhook } : {}),
    ...(events ? { webhook_events_filter: events } : {}),
  };
}

export { parseOr422 };

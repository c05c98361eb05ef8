import { type GenerationRequestInput, OPENAI_IMAGE_SIZES } from '@ldm/shared';
import type { Context } from 'hono';
import type { z } from 'zod';
import { compatConfigFor } from '../../compat/compat-config';
import { nearestSupportedSize } from '../../compat/nearest-size';
import type { AppEnv } from '../../context';
import { fieldIssues } from '../../errors/zod-issues';
import { OpenAIApiError } from './openai-error';

/** Names OpenAI uses for its image models; unless OPENAI_MODEL_MAP says otherwise they mean the default model. */
const OPENAI_IMAGE_MODEL = /^(dall-e-\d|gpt-image-[\w.-]+)$/;

/** The platform model an OpenAI `model` field names. */
export function platformModel(c: Context<AppEnv>, requested: string | undefined): string {
  const config = c.get('config');
  if (requested === undefined) return config.defaultModel;
  // Own keys only: `model: "constructor"` must not read Object.prototype's function as a model name.
  const map = compatConfigFor(c.env).openaiModelMap;
  if (Object.hasOwn(map, requested)) return map[requested];
  if (config.models.has(requested)) return requested;
  if (OPENAI_IMAGE_MODEL.test(requested)) return config.defaultModel;
  const names = [...config.models.keys()].join(', ');
  throw new OpenAIApiError(
    404,
    `The model \`${requested}\` does not exist. Use dall-e-2, dall-e-3, gpt-image-1 or one of: ${names}.`,
    'model',
    'model_not_found',
  );
}

/** OpenAI's size, as the model renders it (see nearestSupportedSize); `auto` = the model's native size. */
export function platformSize(c: Context<AppEnv>, model: string, size: (typeof OPENAI_IMAGE_SIZES)[number]) {
  const info = c.get('config').models.get(model);
  if (!info || size === 'auto') return {};
  const [width, height] = size.split('x').map(Number);
  return nearestSupportedSize(info, width, height);
}

/** A zod check in OpenAI's shape: 400, `param` naming the field. */
export function parseFields<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = fieldIssues(result.error)[0];
  const sizes = OPENAI_IMAGE_SIZES.join(', ');
  const message =
    issue.field === 'size'
      ? `Invalid size: ${JSON.stringify((value as { size?: unknown }).size)}. Supported sizes are ${sizes}.`
      : `${issue.field}: ${issue.message}`;
  throw new OpenAIApiError(
    400,
    message,
    issue.field,
    issue.field === 'size' ? 'invalid_size' : 'invalid_value',
  );
}

/** The engine request common to generate, edit and variation. */
export function baseRequest(
  c: Context<AppEnv>,
  fields: {
    model?: string;
    n: number;
    size: (typeof OPENAI_IMAGE_SIZES)[number];
    output_format: 'png' | 'jpeg' | 'webp';
  },
): GenerationRequestInput {
  const model = platformModel(c, fields.model);
  return {
    model,
    num_outputs: fields.n,
    output_format: fields.output_format,
    ...platformSize(c, model, fields.size),
  };
}

import { z } from 'zod';
import { LIMITS } from '../limits';

/**
 * The OpenAI Images API as the official `openai` client sends it (`/openai/v1/images/...`).
 * Fields OpenAI defines that have no meaning here (quality, style, background, user, moderation,
 * output_compression) are accepted and ignored, so unchanged client code keeps working.
 */
export const OPENAI_IMAGE_SIZES = [
  'auto',
  '256x256',
  '512x512',
  '1024x1024',
  '1536x1024',
  '1024x1536',
  '1792x1024',
  '1024x1792',
] as const;

const common = {
  model: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      'dall-e-2, dall-e-3, gpt-image-* map to the platform default model (OPENAI_MODEL_MAP); a platform model name is used as is.',
    ),
  n: z.coerce.number().int().min(1).max(LIMITS.numOutputsMax).default(1),
  size: z
    .enum(OPENAI_IMAGE_SIZES)
    .default('auto')
    .describe(
      "Mapped to the model's nearest supported size: same aspect ratio, scaled down to the model's max side and pixels, sides multiples of 8; `auto` is the model's native size.",
    ),
  response_format: z
    .enum(['url', 'b64_json'])
    .default('url')
    .describe('`url`: a signed link that works without the key until it expires.'),
  output_format: z.enum(['png', 'jpeg', 'webp']).default('png'),
  quality: z.string().max(20).optional(),
  style: z.string().max(20).optional(),
  background: z.string().max(20).optional(),
  moderation: z.string().max(20).optional(),
  output_compression: z.coerce.number().optional(),
  user: z.string().max(256).optional(),
};

export const OpenAIImageGenerateRequest = z
  .object({ prompt: z.string().min(1).max(LIMITS.promptMaxChars), ...common })
  .meta({ id: 'OpenAIImageGenerateRequest' });
export type OpenAIImageGenerateRequest = z.output<typeof OpenAIImageGenerateRequest>;

/** images.edit and images.createVariation: the multipart fields besides the files. */
export const OpenAIImageEditFields = z
  .object({ prompt: z.string().min(1).max(LIMITS.promptMaxChars), ...common })
  .meta({ id: 'OpenAIImageEditFields' });
export const OpenAIImageVariationFields = z.object(common).meta({ id: 'OpenAIImageVariationFields' });

export const OpenAIImagesResponse = z
  .object({
    created: z.int().describe('Unix seconds.'),
    data: z.array(
      z.object({
        url: z.string().optional(),
        b64_json: z.string().optional(),
        revised_prompt: z.string().optional(),
      }),
    ),
    size: z.string().optional().describe('The size really rendered, WIDTHxHEIGHT.'),
    output_format: z.enum(['png', 'jpeg', 'webp']).optional(),
  })
  .meta({ id: 'OpenAIImagesResponse' });
export type OpenAIImagesResponse = z.output<typeof OpenAIImagesResponse>;

export const OpenAIError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: 'OpenAIError' });
export type OpenAIError = z.output<typeof OpenAIError>;

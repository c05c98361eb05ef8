import { z } from 'zod';
import { LIMITS, SAFETY_MODES, SCHEDULERS, TASKS } from './limits';

/** How compute units are priced for one model: units = per_image + per_megapixel_step * MP * steps, per output. */
export const ModelPrice = z
  .object({
    per_image: z.number().min(0),
    per_megapixel_step: z.number().min(0),
    cache_hit: z.number().min(0).describe('Units charged for a request answered from the cache.'),
  })
  .meta({ id: 'ModelPrice' });
export type ModelPrice = z.infer<typeof ModelPrice>;

export const ModelInfo = z
  .object({
    name: z.string(),
    version: z.string().describe('Changes whenever the weights change; part of the cache fingerprint.'),
    description: z.string(),
    tasks: z.array(z.enum(TASKS)).min(1),
    native_width: z.int(),
    native_height: z.int(),
    min_size: z.int(),
    max_size: z.int(),
    max_pixels: z.int().describe('Largest width * height accepted.'),
    default_steps: z.int(),
    max_steps: z.int(),
    default_guidance_scale: z.number(),
    default_scheduler: z.enum(SCHEDULERS),
    schedulers: z.array(z.enum(SCHEDULERS)).min(1),
    clip_skip_max: z
      .int()
      .min(0)
      .max(LIMITS.clipSkipMax)
      .optional()
      .describe(
        'Largest clip_skip: the layers whose hidden states the text encoder export exposes. Absent: 0 (no clip_skip).',
      ),
    default_strength: z
      .object({ img2img: z.number().gt(0).max(1).optional(), inpaint: z.number().gt(0).max(1).optional() })
      .optional()
      .describe(
        "Strength when a request names none, per task, as the model's diffusers pipelines have it (SDXL: img2img 0.3, inpaint 0.9999). Absent: 0.8 and 1.0.",
      ),
    sdxl: z
      .enum(['base', 'refiner'])
      .optional()
      .describe(
        'An SDXL-family export: base models take original_size, crops_coords_top_left, target_size and their negative_* variants; refiners (requires_aesthetics_score) also aesthetic_score and negative_aesthetic_score. Absent: none of these fields.',
      ),
    safety_checker: z
      .enum(SAFETY_MODES)
      .optional()
      .describe(
        "What happens to images this model's safety checker flags (block: a black image, blur, off); where the export ships no checker nothing runs. The worker's setting when absent.",
      ),
    price: ModelPrice,
  })
  .meta({ id: 'Model' });
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ModelList = z.object({ data: z.array(ModelInfo) }).meta({ id: 'ModelList' });

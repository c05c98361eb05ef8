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

/** Bounds of what a worker reports of an export: a diffusers class name is short and plain. */
export const SCHEDULER_CLASS_MAX_LENGTH = 100;

/** What a worker read from a model's export (its `scheduler/scheduler_config.json`). */
export const ModelExportFields = {
  scheduler_class: z
    .string()
    .min(1)
    .max(SCHEDULER_CLASS_MAX_LENGTH)
    .regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a Python class name')
    .nullable()
    .describe("`_class_name` of the export's scheduler_config.json; null when it names none."),
  scheduler_class_supported: z
    .boolean()
    .describe(
      'Whether that class runs as itself here. False: the project does not implement it and default_scheduler is a fallback, not what diffusers would run.',
    ),
  default_scheduler: z
    .enum(SCHEDULERS)
    .describe('The scheduler a request naming none runs with, as the worker derived it from the export.'),
};

export const ModelExport = z
  .object({
    ...ModelExportFields,
    reported_at: z.iso.datetime().describe('When a worker last reported it (each worker reports at start).'),
  })
  .meta({ id: 'ModelExport' });
export type ModelExport = z.infer<typeof ModelExport>;

/** A catalog entry as GET /v1/models lists it: the catalog plus what workers read from the export. */
export const ListedModel = ModelInfo.extend({
  export: ModelExport.nullable().describe(
    'What the last worker serving this model reported from its export; null until one has, after 30 days without a report, or while the edge cannot reach its store (the catalog is served regardless).',
  ),
}).meta({ id: 'ListedModel' });
export type ListedModel = z.infer<typeof ListedModel>;

export const ModelList = z.object({ data: z.array(ListedModel) }).meta({ id: 'ModelList' });

import {
  type FieldIssue,
  type GenerationRequest,
  type JobInput,
  KARRAS_SCHEDULERS,
  LIMITS,
  type ModelInfo,
  resolveRequest,
  type SafetyMode,
  SDXL_CONDITIONING_FIELDS,
} from '@ldm/shared';
import { modelsFor } from '../config/models';
import type { Config } from '../env';
import { ApiError } from '../errors/api-error';
import { type DecodedImage, decodeImageInput } from '../lib/image-input';
import { targetProblem } from '../webhooks/target-guard';

/** A generation request checked against its model, its defaults filled (shared `resolveRequest`). */
export interface ResolvedGeneration {
  model: ModelInfo;
  /** txt2img with `upscale`: the catalog's upscaler that runs after it in the same job. */
  upscaler?: ModelInfo;
  /** Every default resolved against the model; image keys are added once the images are stored. */
  input: JobInput;
  /** The caller fixed the seed: the request is deterministic, so cacheable and coalescable. */
  seeded: boolean;
  image?: DecodedImage;
  mask?: DecodedImage;
  /** Public fields echoed back in the Generation object (job `request` field). */
  echo: { webhook?: string; webhook_events_filter: GenerationRequest['webhook_events_filter'] };
}

/**
 * Checks a schema-valid request against its model (sizes, pixels, steps, scheduler, task) and the
 * deployment (webhook scheme), decodes the images, and resolves every default. All problems are
 * reported together, each naming its field and limit.
 */
export function resolveGeneration(
  req: GenerationRequest,
  config: Config,
  /** The account's safety checker override (admin API); null = the model's. */
  accountSafety: SafetyMode | null = null,
): ResolvedGeneration {
  const issues: FieldIssue[] = [];
  // With no model, an upscale runs on the catalog's first upscaler, anything else on the default model.
  const modelName =
    req.model ??
    (req.task === 'upscale' ? modelsFor(config.models.values(), 'upscale')[0]?.name : undefined) ??
    config.defaultModel;
  const model = config.models.get(modelName);
  if (!model) {
    const names = [...config.models.keys()].join(', ');
    throw new ApiError('validation_error', `model: unknown model ${modelName}`, [
      {
        field: 'model',
        message: `unknown model ${JSON.stringify(modelName)}; available: ${names}`,
        limit: names,
      },
    ]);
  }
  if (!model.tasks.includes(req.task)) {
    const tasks = model.tasks.join(', ');
    const able = modelsFor(config.models.values(), req.task).map((m) => m.name);
    issues.push({
      field: 'task',
      message: `${model.name} does not support ${req.task}; it supports: ${tasks}. Models that serve ${req.task}: ${able.join(', ') || 'none'}`,
      limit: able.join(', ') || tasks,
    });
  }
  let image: DecodedImage | undefined;
  let mask: DecodedImage | undefined;
  for (const field of ['image', 'mask'] as const) {
    const text = req[field];
    if (!text) continue;
    try {
      const decoded = decodeImageInput(field, text);
      if (field === 'image') image = decoded;
      else mask = decoded;
    } catch (error) {
      if (error instanceof ApiError && error.details) issues.push(...error.details);
      else throw error;
    }
  }

  // img2img/inpaint without a size take the input image's (rounded down to a multiple of 8); an
  // upscale's output is 4x its input image.
  const upscaling = req.task === 'upscale';
  if (upscaling) {
    for (const field of ['width', 'height'] as const) {
      if (req[field] !== undefined) {
        issues.push({
          field,
          message: 'is not accepted for upscale: the output is 4x the input image',
          limit: 'none',
        });
      }
    }
  }
  const resolved = resolveRequest(
    upscaling ? { ...req, width: undefined, height: undefined } : req,
    model,
    image,
  );
  const { width, height, steps, scheduler } = resolved;
  if (upscaling && image) {
    const f = LIMITS.upscaleFactor;
    const maxInput = Math.floor(model.max_pixels / (f * f));
    if (width * height > model.max_pixels || width > model.max_size || height > model.max_size) {
      issues.push({
        field: 'image',
        message: `is ${image.width}x${image.height}; ${model.name} upscales at most ${maxInput} input pixels and ${model.max_size / f} px a side (output ${model.max_size}x${model.max_size})`,
        limit: maxInput,
      });
    } else if (width < model.min_size || height < model.min_size) {
      issues.push({
        field: 'image',
        message: `is ${image.width}x${image.height}; ${model.name} needs at least ${model.min_size / f} px a side`,
        limit: model.min_size / f,
      });
    }
  }
  const upscaler = req.upscale === undefined ? undefined : modelsFor(config.models.values(), 'upscale')[0];
  if (req.upscale !== undefined) {
    const f = LIMITS.upscaleFactor;
    if (!upscaler) {
      issues.push({ field: 'upscale', message: 'no model in this deployment serves upscale', limit: 'none' });
    } else if (
      width * f * height * f > upscaler.max_pixels ||
      Math.max(width, height) * f > upscaler.max_size
    ) {
      issues.push({
        field: 'upscale',
        message: `${width}x${height} x${f} is more than ${upscaler.name} outputs (${upscaler.max_size} px a side, ${upscaler.max_pixels} pixels)`,
        limit: upscaler.max_pixels,
      });
    }
  }
  for (const [field, value] of upscaling
    ? []
    : ([
        ['width', width],
        ['height', height],
      ] as const)) {
    if (value < model.min_size) {
      issues.push({
        field,
        message: `must be at least ${model.min_size} for ${model.name}`,
        limit: model.min_size,
      });
    } else if (value > model.max_size) {
      issues.push({
        field,
        message: `must be at most ${model.max_size} for ${model.name}`,
        limit: model.max_size,
      });
    }
  }
  if (!upscaling && width * height > model.max_pixels) {
    issues.push({
      field: 'width',
      message: `width x height (${width * height}) must be at most ${model.max_pixels} pixels for ${model.name}`,
      limit: model.max_pixels,
    });
  }
  if (steps > model.max_steps) {
    issues.push({
      field: 'steps',
      message: `must be at most ${model.max_steps} for ${model.name}`,
      limit: model.max_steps,
    });
  }
  if (!model.schedulers.includes(scheduler)) {
    const names = model.schedulers.join(', ');
    issues.push({
      field: 'scheduler',
      message: `${model.name} does not support ${scheduler}; it supports: ${names}`,
      limit: names,
    });
  }
  // clip_skip needs a text encoder export with hidden_states outputs: the catalog says how many.
  const clipSkipMax = model.clip_skip_max ?? 0;
  if ((resolved.clip_skip ?? 0) > clipSkipMax) {
    issues.push({
      field: 'clip_skip',
      message:
        clipSkipMax === 0
          ? `${model.name}'s text encoder export has no hidden_states outputs; clip_skip must be 0`
          : `must be at most ${clipSkipMax} for ${model.name}`,
      limit: clipSkipMax,
    });
  }
  // A base + refiner job: the refiner is an SDXL refiner of the catalog, the model an SDXL base.
  const refiner = resolved.refiner === undefined ? undefined : config.models.get(resolved.refiner);
  if (resolved.refiner !== undefined) {
    if (refiner?.sdxl !== 'refiner') {
      issues.push({
        field: 'refiner',
        message: `${JSON.stringify(resolved.refiner)} is not an SDXL refiner of the catalog`,
        limit: 'an SDXL refiner',
      });
    } else if (model.sdxl !== 'base') {
      issues.push({
        field: 'refiner',
        message: `${model.name} is not an SDXL base model`,
        limit: 'an SDXL base',
      });
    } else if (resolved.task !== 'txt2img') {
      issues.push({ field: 'refiner', message: `is for txt2img, not ${resolved.task}`, limit: 'txt2img' });
    } else if (!refiner.schedulers.includes(scheduler)) {
      issues.push({
        field: 'refiner',
        message: `${refiner.name} does not support ${scheduler}`,
        limit: scheduler,
      });
    }
  }
  // SDXL conditioning fields only where the catalog says the export takes them (the aesthetic
  // scores: a refiner, asked for directly or as the job's refiner).
  const takesAesthetics = model.sdxl === 'refiner' || refiner?.sdxl === 'refiner';
  for (const field of SDXL_CONDITIONING_FIELDS) {
    if (resolved[field] === undefined) continue;
    const aesthetic = field === 'aesthetic_score' || field === 'negative_aesthetic_score';
    if (!model.sdxl || (aesthetic && !takesAesthetics)) {
      issues.push({
        field,
        message: aesthetic
          ? `is for SDXL refiners; ${model.name} is not one`
          : `is for SDXL models; ${model.name} is not one`,
        limit: aesthetic ? 'an SDXL refiner' : 'an SDXL model',
      });
    }
  }
  if (resolved.use_karras_sigmas && !(KARRAS_SCHEDULERS as readonly string[]).includes(scheduler)) {
    issues.push({
      field: 'use_karras_sigmas',
      message: `${scheduler} has no Karras sigmas; use one of ${KARRAS_SCHEDULERS.join(', ')}`,
      limit: KARRAS_SCHEDULERS.join(', '),
    });
  }
  const webhookProblem = req.webhook ? targetProblem(req.webhook, config.mode) : null;
  if (webhookProblem) {
    issues.push({ field: 'webhook', message: webhookProblem, limit: 'a public https URL' });
  }

  if (image && mask && (image.width !== mask.width || image.height !== mask.height)) {
    issues.push({
      field: 'mask',
      message: `must be the same size as image (${image.width}x${image.height}), not ${mask.width}x${mask.height}`,
      limit: `${image.width}x${image.height}`,
    });
  }

  if (issues.length) {
    throw new ApiError(
      'validation_error',
      `Invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      issues,
    );
  }

  const seeded = req.seed !== undefined;
  // The account's mode over the model's; absent = the worker's own setting.
  const safety = accountSafety ?? model.safety_checker;
  return {
    model,
    upscaler,
    seeded,
    image,
    mask,
    input: {
      model: model.name,
      model_version: model.version,
      ...resolved,
      // The refiner's weights shape the image too: its version is part of the cache fingerprint.
      ...(refiner && resolved.refiner ? { refiner_version: refiner.version } : {}),
      ...(safety ? { safety_checker: safety } : {}),
      output_format: req.output_format,
      ...(upscaler
        ? {
            upscaler: upscaler.name,
            upscaler_version: upscaler.version,
            upscaler_steps: upscaler.default_steps,
            upscaler_guidance_scale: upscaler.default_guidance_scale,
          }
        : {}),
    },
    echo: {
      ...(req.webhook ? { webhook: req.webhook } : {}),
      webhook_events_filter: req.webhook_events_filter,
    },
  };
}

import { SDXL_CONDITIONING_FIELDS } from '@ldm/shared';
import type { LoadedModel } from '../model/load-model';
import { fixedDim } from '../model/session-metadata';
import type { AddedInputName } from '../model/unet';
import { usesGuidance } from './guidance';
import { PipelineInputError } from './pipeline-input-error';
import type { PromptEmbedding } from './prompt-encoder';
import type { PipelineRequest } from './request';
import { addTimeIds, guidanceScaleEmbedding, type TimeIdsRules } from './sdxl-conditioning';

/** One UNet row's added inputs (text_embeds, time_ids, timestep_cond). */
export type AddedRow = Partial<Record<AddedInputName, Float32Array>>;

/** The added inputs of an image's conditional row and (with guidance) its unconditional one. */
export interface AddedConditioning {
  cond: AddedRow;
  uncond?: AddedRow;
}

/** LCM-distilled UNets (`timestep_cond`): width of the guidance embedding, else undefined. */
export function timestepCondDim(model: LoadedModel): number | undefined {
  const input = model.unet.added.timestep_cond;
  if (!input) return undefined;
  return model.sdxl?.timestepCondDim ?? fixedDim(input, 1) ?? 256;
}

/**
 * diffusers' `do_classifier_free_guidance`: guidance_scale > 1 and a UNet without a guidance
 * embedding (LCM-distilled UNets take the scale as `timestep_cond` and run once per step).
 */
export function classifierFreeGuidance(model: LoadedModel, guidanceScale: number): boolean {
  return usesGuidance(guidanceScale) && model.unet.added.timestep_cond === undefined;
}

/** The SDXL fields only mean something to SDXL exports; the aesthetic scores only to refiners. */
export function checkSdxlFields(model: LoadedModel, request: PipelineRequest): void {
  const name = model.dir;
  for (const field of SDXL_CONDITIONING_FIELDS) {
    if (request[field] === undefined) continue;
    if (!model.sdxl) {
      throw new PipelineInputError(field, `is for SDXL models; ${name} is not one`);
    }
    const aesthetic = field === 'aesthetic_score' || field === 'negative_aesthetic_score';
    if (aesthetic && !model.sdxl.requiresAestheticsScore) {
      throw new PipelineInputError(
        field,
        `is for SDXL refiners (requires_aesthetics_score); ${name} is not one`,
      );
    }
  }
}

/**
 * What the UNet takes besides the latents and hidden states, as StableDiffusionXLPipeline
 * builds it: the pooled prompt embedding (`add_text_embeds`), `add_time_ids` and, for
 * LCM-distilled UNets, the guidance embedding of guidance_scale - 1. Undefined for UNets
 * without added inputs (SD 1.x/2.x).
 */
export function addedConditioning(
  model: LoadedModel,
  request: PipelineRequest,
  cond: PromptEmbedding,
  uncond: PromptEmbedding | undefined,
  /** image-to-image for img2img, inpaint and a refiner's pass (diffusers' Img2Img/Inpaint pipelines). */
  rules: TimeIdsRules = request.task === 'txt2img' ? 'text-to-image' : 'image-to-image',
): AddedConditioning | undefined {
  const inputs = model.unet.added;
  if (!inputs.text_embeds && !inputs.time_ids && !inputs.timestep_cond) return undefined;
  const condRow: AddedRow = {};
  const uncondRow: AddedRow = {};
  if (model.sdxl) {
    if (!cond.pooled || (uncond && !uncond.pooled))
      throw new Error('SDXL prompt embedding without pooled output');
    const ids = addTimeIds(request, request, model.sdxl.requiresAestheticsScore, rules);
    condRow.text_embeds = cond.pooled;
    condRow.time_ids = ids.cond;
    if (uncond?.pooled) {
      uncondRow.text_embeds = uncond.pooled;
      uncondRow.time_ids = ids.uncond;
    }
  }
  const dim = timestepCondDim(model);
  if (dim !== undefined) condRow.timestep_cond = guidanceScaleEmbedding(request.guidance_scale, dim);
  return { cond: condRow, ...(uncond ? { uncond: uncondRow } : {}) };
}

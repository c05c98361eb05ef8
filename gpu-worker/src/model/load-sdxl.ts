import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { loadTokenizer, type PromptTokenizer } from '../tokenizer';
import { ModelFolderError } from './model-folder-error';
import { exists, numberField, readJsonObject } from './read-config';
import { SdxlTextEncoderModel } from './sdxl-text-encoder';
import { fixedDim, tensorInfo } from './session-metadata';
import { TEXT_ENCODER_FILE } from './text-encoder';
import { UNET_FILE, type UnetModel } from './unet';

export const TEXT_ENCODER_2_FILE = 'text_encoder_2/model.onnx';

/** What an SDXL-family export adds to an SD one (diffusers' StableDiffusionXL[Img2Img]Pipeline). */
export interface SdxlParts {
  textEncoder: SdxlTextEncoderModel;
  textEncoder2: SdxlTextEncoderModel;
  tokenizer2: PromptTokenizer;
  /** model_index.json: an empty negative prompt is zeros, not the encoding of "" (default true). */
  forceZerosForEmptyPrompt: boolean;
  /** model_index.json (refiners): time_ids end in an aesthetic score instead of the target size. */
  requiresAestheticsScore: boolean;
  /** 6 (original size, crop, target size) or 5 (original size, crop, aesthetic score). */
  timeIdsLength: number;
  /** Width of the pooled embedding the UNet takes (text_embeds). */
  pooledDim: number;
  /** LCM-distilled UNets: width of the guidance embedding (`timestep_cond`, time_cond_proj_dim). */
  timestepCondDim?: number;
  /** vae config `force_upcast` (default true): diffusers decodes in float32. */
  vaeForceUpcast: boolean;
}

/** An SDXL-style UNet: it takes the pooled text and the micro-conditioning. */
export function isSdxlUnet(unet: UnetModel): boolean {
  return unet.added.text_embeds !== undefined && unet.added.time_ids !== undefined;
}

function flag(index: Record<string, unknown> | undefined, key: string, fallback: boolean): boolean {
  const value = index?.[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ModelFolderError('model_index.json', `${key} must be true or false`);
  return value;
}

/**
 * Loads the second text encoder and tokenizer and reads the flags diffusers registers in
 * model_index.json; widths come from the UNet's inputs when fixed, else from the configs.
 */
export async function loadSdxlParts(
  dir: string,
  unet: UnetModel,
  firstEncoder: ort.InferenceSession,
  open: (file: string) => Promise<ort.InferenceSession>,
): Promise<SdxlParts> {
  for (const file of [TEXT_ENCODER_2_FILE, 'tokenizer_2']) {
    if (!(await exists(join(dir, file)))) {
      throw new ModelFolderError(file, 'missing (an SDXL UNet, with text_embeds and time_ids, needs it)');
    }
  }
  const index = await readJsonObject(dir, 'model_index.json');
  const requiresAestheticsScore = flag(index, 'requires_aesthetics_score', false);
  const textEncoder = new SdxlTextEncoderModel(firstEncoder, TEXT_ENCODER_FILE);
  const textEncoder2 = new SdxlTextEncoderModel(await open(TEXT_ENCODER_2_FILE), TEXT_ENCODER_2_FILE);
  if (!textEncoder2.pooledOutput) {
    throw new ModelFolderError(
      TEXT_ENCODER_2_FILE,
      'has no text_embeds output (the pooled embedding SDXL needs)',
    );
  }
  const tokenizer2 = await loadTokenizer(dir, fixedDim(textEncoder2.ids, 1), 'tokenizer_2');
  const unetConfig = await readJsonObject(dir, 'unet/config.json', true);
  const timeIds = unet.added.time_ids;
  const timeIdsLength = (timeIds && fixedDim(timeIds, 1)) ?? (requiresAestheticsScore ? 5 : 6);
  if (timeIdsLength !== (requiresAestheticsScore ? 5 : 6)) {
    throw new ModelFolderError(
      UNET_FILE,
      `time_ids has ${timeIdsLength} values but model_index.json's requires_aesthetics_score is ${requiresAestheticsScore}`,
    );
  }
  const pooledInput = unet.added.text_embeds;
  const pooledDim =
    (pooledInput && fixedDim(pooledInput, 1)) ??
    fixedDim(tensorInfo(textEncoder2.session, 'output', 'text_embeds', TEXT_ENCODER_2_FILE), 1);
  if (pooledDim === undefined) {
    throw new ModelFolderError(
      UNET_FILE,
      'text_embeds has no fixed width, nor has text_encoder_2 text_embeds',
    );
  }
  let timestepCondDim: number | undefined;
  const cond = unet.added.timestep_cond;
  if (cond) {
    timestepCondDim = fixedDim(cond, 1) ?? numberField(unetConfig, 'time_cond_proj_dim', 'unet/config.json');
    if (timestepCondDim === undefined) {
      throw new ModelFolderError(
        UNET_FILE,
        'timestep_cond has no fixed width and unet/config.json no time_cond_proj_dim',
      );
    }
  }
  const vae =
    (await readJsonObject(dir, 'vae_decoder/config.json', true)) ??
    (await readJsonObject(dir, 'vae_encoder/config.json', true));
  return {
    textEncoder,
    textEncoder2,
    tokenizer2,
    forceZerosForEmptyPrompt: flag(index, 'force_zeros_for_empty_prompt', true),
    requiresAestheticsScore,
    timeIdsLength,
    pooledDim,
    timestepCondDim,
    vaeForceUpcast: flag(vae, 'force_upcast', true),
  };
}

import { join } from 'node:path';
import type { ProviderName, SessionOptions } from '../model/create-session';
import { ModelFolderError } from '../model/model-folder-error';
import { openSessions } from '../model/open-sessions';
import { exists, numberField, readJsonObject } from '../model/read-config';
import { fixedDim } from '../model/session-metadata';
import { TEXT_ENCODER_FILE, TextEncoderModel } from '../model/text-encoder';
import { VaeDecoderModel } from '../model/vae';
import type { NoiseSchedule } from '../schedulers/noise-schedule';
import { loadTokenizer, type PromptTokenizer } from '../tokenizer';
import { lowResSchedule } from './low-res-noise';
import { UPSCALE_UNET_FILE, UpscaleUnetModel } from './upscale-unet';

/** diffusers' OnnxStableDiffusionUpscalePipeline hard-codes this (SD x4 upscaler's VAE). */
export const X4_VAE_SCALING_FACTOR = 0.08333;
/** Its `max_noise_level` default. */
export const X4_MAX_NOISE_LEVEL = 350;

export interface UpscaleModelConfig {
  pipelineClass: string;
  maxNoiseLevel: number;
  vaeScalingFactor: number;
  /** Output pixels per latent (= per input pixel): 4 for the x4 upscaler. */
  scale: number;
  latentChannels: number;
  schedulerClass?: string;
  schedulerConfig: Record<string, unknown>;
  lowResSchedule: NoiseSchedule;
}

export interface LoadedUpscaleModel {
  dir: string;
  config: UpscaleModelConfig;
  tokenizer: PromptTokenizer;
  textEncoder: TextEncoderModel;
  unet: UpscaleUnetModel;
  vaeDecoder: VaeDecoderModel;
  provider: ProviderName;
  release(): Promise<void>;
}

/** diffusers' ONNX upscale pipeline keeps the decoder in `vae/`; optimum writes `vae_decoder/`. */
const VAE_DIRS = ['vae', 'vae_decoder'];

async function readUpscaleConfig(dir: string, vaeDir: string): Promise<UpscaleModelConfig> {
  const index = (await readJsonObject(dir, 'model_index.json')) ?? {};
  const vaeFile = `${vaeDir}/config.json`;
  const vae = await readJsonObject(dir, vaeFile, true);
  const scaling = numberField(vae, 'scaling_factor', vaeFile) ?? X4_VAE_SCALING_FACTOR;
  if (scaling <= 0) throw new ModelFolderError(vaeFile, 'scaling_factor must be positive');
  const blocks = vae?.block_out_channels;
  const scale = Array.isArray(blocks) && blocks.length > 0 ? 2 ** (blocks.length - 1) : 4;
  const maxNoise = numberField(index, 'max_noise_level', 'model_index.json') ?? X4_MAX_NOISE_LEVEL;
  if (!Number.isInteger(maxNoise) || maxNoise < 0) {
    throw new ModelFolderError('model_index.json', 'max_noise_level must be a non-negative integer');
  }
  const scheduler = (await readJsonObject(dir, 'scheduler/scheduler_config.json')) ?? {};
  const lowRes = (await readJsonObject(dir, 'low_res_scheduler/scheduler_config.json', true)) ?? {};
  const schedule = lowResSchedule(lowRes);
  // noise_level indexes low_res_scheduler's alphas_cumprod: a declared maximum beyond its last
  // step is capped there, so no accepted request reads past the table.
  const maxNoiseLevel = Math.min(maxNoise, schedule.numTrainTimesteps - 1);
  // upscale-pipeline.ts and tiled-decode.ts lay out 4 latent (+ 3 image) channels.
  const latentChannels = numberField(index, 'num_latent_channels', 'model_index.json') ?? 4;
  if (latentChannels !== 4) {
    throw new ModelFolderError(
      'model_index.json',
      `num_latent_channels is ${latentChannels}; only x4-upscaler layouts with 4 latent channels are supported`,
    );
  }
  return {
    pipelineClass: typeof index._class_name === 'string' ? index._class_name : 'unknown',
    maxNoiseLevel,
    vaeScalingFactor: scaling,
    scale,
    latentChannels,
    schedulerClass: typeof scheduler._class_name === 'string' ? scheduler._class_name : undefined,
    schedulerConfig: scheduler,
    lowResSchedule: schedule,
  };
}

/** Opens an x4-upscaler ONNX folder: text encoder + tokenizer, 7-channel UNet, VAE decoder, both schedulers. */
export async function loadUpscaleModel(
  dir: string,
  options: SessionOptions = {},
): Promise<LoadedUpscaleModel> {
  if (!(await exists(dir))) throw new ModelFolderError('.', `model folder ${dir} does not exist`);
  let vaeDir: string | undefined;
  for (const d of VAE_DIRS) if (!vaeDir && (await exists(join(dir, d, 'model.onnx')))) vaeDir = d;
  if (!vaeDir) throw new ModelFolderError('vae/model.onnx', 'missing (nor vae_decoder/model.onnx)');
  for (const file of ['model_index.json', TEXT_ENCODER_FILE, UPSCALE_UNET_FILE]) {
    if (!(await exists(join(dir, file)))) throw new ModelFolderError(file, 'missing');
  }
  const config = await readUpscaleConfig(dir, vaeDir);
  return openSessions(dir, options, async (open) => {
    const textEncoder = new TextEncoderModel(await open(TEXT_ENCODER_FILE));
    const unetConfig = await readJsonObject(dir, 'unet/config.json', true);
    const channels = numberField(unetConfig, 'in_channels', 'unet/config.json');
    const unet = new UpscaleUnetModel(await open(UPSCALE_UNET_FILE), channels);
    if (unet.inChannels !== config.latentChannels + 3) {
      throw new ModelFolderError(
        UPSCALE_UNET_FILE,
        `sample has ${unet.inChannels} channels; an x4 upscaler takes ${config.latentChannels} latent + 3 image channels`,
      );
    }
    const vaeDecoder = new VaeDecoderModel(await open(`${vaeDir}/model.onnx`));
    const tokenizer = await loadTokenizer(dir, fixedDim(textEncoder.ids, 1));
    return {
      dir,
      config,
      tokenizer,
      textEncoder,
      unet,
      vaeDecoder,
    };
  });
}

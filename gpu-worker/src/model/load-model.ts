import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { PromptTokenizer } from '../tokenizer';
import { loadTokenizer } from '../tokenizer';
import type { ProviderName, SessionOptions } from './create-session';
import { isSdxlUnet, loadSdxlParts, type SdxlParts } from './load-sdxl';
import { type ModelConfig, readModelConfig } from './model-config';
import { ModelFolderError } from './model-folder-error';
import { openSessions } from './open-sessions';
import { exists, numberField, readJsonObject } from './read-config';
import {
  clipPreprocessing,
  FEATURE_EXTRACTOR_FILE,
  SAFETY_CHECKER_FILE,
  SafetyCheckerModel,
} from './safety-checker';
import { fixedDim, tensorInfo } from './session-metadata';
import { TEXT_ENCODER_FILE, TextEncoderModel } from './text-encoder';
import { UNET_FILE, UnetModel } from './unet';
import { type ChannelSource, detectUnetChannels } from './unet-channels';
import { VAE_DECODER_FILE, VAE_ENCODER_FILE, VaeDecoderModel, VaeEncoderModel } from './vae';

export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  tokenizer: PromptTokenizer;
  textEncoder: TextEncoderModel;
  unet: UnetModel;
  /** Where the UNet's input channel count came from: 'session' when the export fixed it. */
  unetChannelSource: ChannelSource | 'session';
  vaeDecoder: VaeDecoderModel;
  /** Present when the export ships safety_checker/ (diffusers' ONNX checker). */
  safetyChecker?: SafetyCheckerModel;
  /** Absent in text-to-image-only exports; img2img and inpaint need it. */
  vaeEncoder?: VaeEncoderModel;
  /** SDXL-family exports (UNet with text_embeds and time_ids): the second encoder and the flags. */
  sdxl?: SdxlParts;
  /** The provider every session runs on. */
  provider: ProviderName;
  release(): Promise<void>;
}

const REQUIRED = ['model_index.json', TEXT_ENCODER_FILE, UNET_FILE, VAE_DECODER_FILE];

/**
 * Opens a diffusers/optimum ONNX Stable Diffusion folder. Files are checked up front so a
 * wrong folder fails fast with the name of what is missing; everything about tensors
 * (names, dtypes, fixed sizes) is then read from the sessions.
 */
function isChannelAxisFixed(session: ort.InferenceSession): boolean {
  return fixedDim(tensorInfo(session, 'input', 'sample', UNET_FILE), 1) !== undefined;
}

export async function loadModel(dir: string, options: SessionOptions = {}): Promise<LoadedModel> {
  if (!(await exists(dir))) throw new ModelFolderError('.', `model folder ${dir} does not exist`);
  for (const file of REQUIRED) {
    if (!(await exists(join(dir, file)))) throw new ModelFolderError(file, 'missing');
  }
  const config = await readModelConfig(dir);
  return openSessions(dir, options, async (open) => {
    const textConfig = await readJsonObject(dir, 'text_encoder/config.json', true);
    const textSession = await open(TEXT_ENCODER_FILE);
    const textEncoder = new TextEncoderModel(
      textSession,
      numberField(textConfig, 'layer_norm_eps', 'text_encoder/config.json'),
    );
    const unetConfig = await readJsonObject(dir, 'unet/config.json', true);
    const configChannels = typeof unetConfig?.in_channels === 'number' ? unetConfig.in_channels : undefined;
    const unetSession = await open(UNET_FILE);
    // Only needed when the export left the channel axis symbolic.
    const detected = isChannelAxisFixed(unetSession)
      ? undefined
      : await detectUnetChannels(join(dir, UNET_FILE), configChannels, config.pipelineClass);
    if (detected) {
      (options.log ?? (() => {}))(
        `${UNET_FILE}: ${detected.channels} input channels (from ${detected.source})`,
        'info',
      );
    }
    const unet = new UnetModel(unetSession, detected?.channels);
    const sdxl = isSdxlUnet(unet) ? await loadSdxlParts(dir, unet, textSession, open) : undefined;
    const vaeDecoder = new VaeDecoderModel(await open(VAE_DECODER_FILE));
    const vaeEncoder = (await exists(join(dir, VAE_ENCODER_FILE)))
      ? new VaeEncoderModel(await open(VAE_ENCODER_FILE), 4)
      : undefined;
    const safetyChecker = (await exists(join(dir, SAFETY_CHECKER_FILE)))
      ? new SafetyCheckerModel(
          await open(SAFETY_CHECKER_FILE),
          clipPreprocessing(await readJsonObject(dir, FEATURE_EXTRACTOR_FILE, true)),
        )
      : undefined;
    const tokenizer = await loadTokenizer(dir, fixedDim(textEncoder.ids, 1));
    return {
      dir,
      config,
      tokenizer,
      textEncoder,
      unet,
      unetChannelSource: detected?.source ?? 'session',
      vaeDecoder,
      vaeEncoder,
      safetyChecker,
      ...(sdxl ? { sdxl } : {}),
    };
  });
}

import { join } from 'node:path';
import type { PromptTokenizer } from '../tokenizer';
import { loadTokenizer } from '../tokenizer';
import { type CreatedSession, createSession, type ProviderName, type SessionOptions } from './create-session';
import { type ModelConfig, readModelConfig } from './model-config';
import { ModelFolderError } from './model-folder-error';
import { exists, readJsonObject } from './read-config';
import { fixedDim } from './session-metadata';
import { TEXT_ENCODER_FILE, TextEncoderModel } from './text-encoder';
import { UNET_FILE, UnetModel } from './unet';
import { VAE_DECODER_FILE, VAE_ENCODER_FILE, VaeDecoderModel, VaeEncoderModel } from './vae';

export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  tokenizer: PromptTokenizer;
  textEncoder: TextEncoderModel;
  unet: UnetModel;
  vaeDecoder: VaeDecoderModel;
  /** Absent in text-to-image-only exports; img2img and inpaint need it. */
  vaeEncoder?: VaeEncoderModel;
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
export async function loadModel(dir: string, options: SessionOptions = {}): Promise<LoadedModel> {
  if (!(await exists(dir))) throw new ModelFolderError('.', `model folder ${dir} does not exist`);
  for (const file of REQUIRED) {
    if (!(await exists(join(dir, file)))) throw new ModelFolderError(file, 'missing');
  }
  const config = await readModelConfig(dir);
  const sessions: CreatedSession[] = [];
  const open = async (file: string) => {
    const created = await createSession(join(dir, file), dir, options);
    sessions.push(created);
    return created.session;
  };
  try {
    const textEncoder = new TextEncoderModel(await open(TEXT_ENCODER_FILE));
    const unetConfig = await readJsonObject(dir, 'unet/config.json', true);
    const configChannels = typeof unetConfig?.in_channels === 'number' ? unetConfig.in_channels : undefined;
    const unet = new UnetModel(await open(UNET_FILE), configChannels);
    const vaeDecoder = new VaeDecoderModel(await open(VAE_DECODER_FILE));
    const vaeEncoder = (await exists(join(dir, VAE_ENCODER_FILE)))
      ? new VaeEncoderModel(await open(VAE_ENCODER_FILE), 4)
      : undefined;
    const tokenizer = await loadTokenizer(dir, fixedDim(textEncoder.ids, 1));
    const provider = options.provider ?? 'cpu';
    return {
      dir,
      config,
      tokenizer,
      textEncoder,
      unet,
      vaeDecoder,
      vaeEncoder,
      provider,
      release: async () => {
        await Promise.all(sessions.map((s) => s.session.release()));
      },
    };
  } catch (error) {
    await Promise.all(sessions.map((s) => s.session.release().catch(() => {})));
    throw error;
  }
}

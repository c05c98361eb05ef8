import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clipTokenizerJson, mergesTxt, vocabJson } from './clip-vocabulary';
import type { OnnxGraph } from './onnx-graph';
import {
  safetyChecker,
  type TimestepVariant,
  textEncoder,
  unet,
  vaeDecoder,
  vaeEncoder,
} from './tiny-models';

/** Every export variant seen in the wild that the loader must handle. */
export interface TinyModelVariant {
  idsType?: 'int32' | 'int64';
  timestep?: TimestepVariant;
  /** Inputs and outputs of every network in float16 (weights stay float32 on CPU). */
  fp16?: boolean;
  vaeEncoderOutput?: 'latent_sample' | 'latent_parameters';
  unetChannels?: 4 | 9;
  /** diffusers' convert script: symbolic channel axis on `sample` and no unet/config.json. */
  symbolicUnetChannels?: boolean;
  /** Ship `safety_checker/` (the red-flagging stand-in) and `feature_extractor/`. */
  withSafetyChecker?: boolean;
  /** The stand-in checker's threshold on the mean CLIP-normalised red (default SAFETY_RED_THRESHOLD). */
  safetyRedThreshold?: number;
  /** Text encoder with `hidden_states.0..N` outputs and a final LayerNorm (clip_skip). */
  textEncoderHiddenLayers?: number;
  /** UNet `encoder_hidden_states` fixed to 77 positions (long prompts cannot run). */
  unetFixedSequence?: boolean;
  /** Write no unet/config.json. */
  noUnetConfig?: boolean;
  /** A UNet graph whose first op on `sample` is not a Conv (channels cannot be read from it). */
  hideUnetChannels?: boolean;
  /** model_index.json `_class_name`; default by channel count. */
  pipelineClass?: string;
  /** UNet batch dimension fixed at export. */
  unetFixedBatch?: number;
  /** Which file holds the UNet's weights: inline, `model.onnx_data` (optimum) or `weights.pb` (diffusers). */
  externalData?: 'none' | 'model.onnx_data' | 'weights.pb';
  tokenizer?: 'vocab-merges' | 'tokenizer-json';
  /** SD1 pads with `<|endoftext|>`, SD2 with `!`. */
  padToken?: '<|endoftext|>' | '!';
  /** Written to vae_decoder/config.json; omitted -> the loader's default must apply. */
  scalingFactor?: number;
  /** Pixels per latent; written as block_out_channels of that many halvings. */
  vaeFactor?: 4 | 8;
  /** Native size in latents (unet config `sample_size`). */
  sampleSize?: number;
  withVaeEncoder?: boolean;
}

async function writeGraph(dir: string, graph: OnnxGraph, externalData = 'none'): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (externalData === 'none') {
    await writeFile(join(dir, 'model.onnx'), graph.encode().model);
    return;
  }
  const { model, externalData: data } = graph.encode({ externalDataFile: externalData });
  await writeFile(join(dir, 'model.onnx'), model);
  await writeFile(join(dir, externalData), data ?? new Uint8Array());
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes a complete diffusers/optimum-style ONNX Stable Diffusion folder of tiny networks. */
export async function writeTinyModel(dir: string, variant: TinyModelVariant = {}): Promise<string> {
  const io = variant.fp16 ? 'float16' : 'float32';
  const factor = variant.vaeFactor ?? 8;
  const channels = variant.unetChannels ?? 4;
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'model_index.json'),
    json({
      _class_name:
        variant.pipelineClass ??
        (channels === 9 ? 'OnnxStableDiffusionInpaintPipeline' : 'OnnxStableDiffusionPipeline'),
      _diffusers_version: '0.30.0',
      text_encoder: ['diffusers', 'OnnxRuntimeModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'OnnxRuntimeModel'],
      vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
      vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
      scheduler: ['diffusers', 'PNDMScheduler'],
    }),
  );
  await writeGraph(
    join(dir, 'text_encoder'),
    textEncoder({ idsType: variant.idsType ?? 'int32', io, hiddenLayers: variant.textEncoderHiddenLayers }),
  );
  await writeGraph(
    join(dir, 'unet'),
    unet({
      inChannels: channels,
      timestep: variant.timestep ?? 'int64',
      io,
      fixedBatch: variant.unetFixedBatch,
      symbolicChannels: variant.symbolicUnetChannels,
      hideChannels: variant.hideUnetChannels,
      fixedSequence: variant.unetFixedSequence,
    }),
    variant.externalData,
  );
  if (!variant.noUnetConfig && !variant.symbolicUnetChannels) {
    await writeFile(
      join(dir, 'unet', 'config.json'),
      json({ in_channels: channels, out_channels: 4, sample_size: variant.sampleSize ?? 8 }),
    );
  }
  const vaeConfig: Record<string, unknown> = {
    latent_channels: 4,
    block_out_channels: Array.from({ length: Math.log2(factor) + 1 }, (_, i) => 8 * 2 ** i),
  };
  if (variant.scalingFactor !== undefined) vaeConfig.scaling_factor = variant.scalingFactor;
  await writeGraph(join(dir, 'vae_decoder'), vaeDecoder({ io, factor }));
  await writeFile(join(dir, 'vae_decoder', 'config.json'), json(vaeConfig));
  if (variant.withVaeEncoder !== false) {
    const output = variant.vaeEncoderOutput ?? 'latent_sample';
    await writeGraph(join(dir, 'vae_encoder'), vaeEncoder({ io, factor, output }));
    await writeFile(join(dir, 'vae_encoder', 'config.json'), json(vaeConfig));
  }
  if (variant.withSafetyChecker) {
    await writeGraph(join(dir, 'safety_checker'), safetyChecker(io, variant.safetyRedThreshold));
    await mkdir(join(dir, 'feature_extractor'), { recursive: true });
    // CLIPImageProcessor as the SD 1.x exports ship it.
    await writeFile(
      join(dir, 'feature_extractor', 'preprocessor_config.json'),
      json({
        crop_size: { height: 224, width: 224 },
        do_center_crop: true,
        do_convert_rgb: true,
        do_normalize: true,
        do_rescale: true,
        do_resize: true,
        image_mean: [0.48145466, 0.4578275, 0.40821073],
        image_processor_type: 'CLIPImageProcessor',
        image_std: [0.26862954, 0.26130258, 0.27577711],
        resample: 3,
        rescale_factor: 0.00392156862745098,
        size: { shortest_edge: 224 },
      }),
    );
  }
  await writeTokenizer(join(dir, 'tokenizer'), variant);
  await mkdir(join(dir, 'scheduler'), { recursive: true });
  await writeFile(
    join(dir, 'scheduler', 'scheduler_config.json'),
    json({
      _class_name: 'PNDMScheduler',
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      num_train_timesteps: 1000,
      set_alpha_to_one: false,
      skip_prk_steps: true,
      steps_offset: 1,
      clip_sample: false,
    }),
  );
  return dir;
}

/** Just the `tokenizer/` folder of a model (tests of the tokenizer alone). */
export async function writeTinyTokenizer(modelDir: string, variant: TinyModelVariant = {}): Promise<string> {
  await writeTokenizer(join(modelDir, 'tokenizer'), variant);
  return modelDir;
}

async function writeTokenizer(dir: string, variant: TinyModelVariant): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (variant.tokenizer === 'tokenizer-json') {
    await writeFile(join(dir, 'tokenizer.json'), clipTokenizerJson());
  } else {
    await writeFile(join(dir, 'vocab.json'), vocabJson());
    await writeFile(join(dir, 'merges.txt'), mergesTxt());
  }
  const pad = variant.padToken ?? '<|endoftext|>';
  await writeFile(
    join(dir, 'tokenizer_config.json'),
    json({
      model_max_length: 77,
      do_lower_case: true,
      bos_token: { __type: 'AddedToken', content: '<|startoftext|>' },
      eos_token: { __type: 'AddedToken', content: '<|endoftext|>' },
      unk_token: { __type: 'AddedToken', content: '<|endoftext|>' },
      pad_token: pad,
      tokenizer_class: 'CLIPTokenizer',
    }),
  );
}

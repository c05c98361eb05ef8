import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxGraph } from './onnx-graph';
import { HIDDEN, textEncoder } from './tiny-models';
import { writeTinyTokenizer } from './tiny-sd-folder';

/**
 * The fixture upscaler UNet, chosen so a test can compute its output by hand:
 * out[c] = 0.5 * sample[c] + 0.25 * sample[4 + c % 3] + 0.001 * class_labels + 0.5 * mean(encoder_hidden_states).
 */
export const UNET_LATENT_WEIGHT = 0.5;
export const UNET_IMAGE_WEIGHT = 0.25;
export const UNET_LEVEL_WEIGHT = 0.001;
export const UNET_TEXT_WEIGHT = 0.5;

function upscalerUnet(): OnnxGraph {
  const g = new OnnxGraph();
  g.input('sample', 'float32', ['batch', 7, 'height', 'width']);
  g.input('timestep', 'int64', ['batch']);
  g.input('encoder_hidden_states', 'float32', ['batch', 'sequence', HIDDEN]);
  g.input('class_labels', 'int64', ['batch']);
  const w = new Float32Array(4 * 7);
  for (let c = 0; c < 4; c++) {
    w[c * 7 + c] = UNET_LATENT_WEIGHT;
    w[c * 7 + 4 + (c % 3)] = UNET_IMAGE_WEIGHT;
  }
  const conv = g.node('Conv', ['sample', g.floats(w, [4, 7, 1, 1])]);
  const column = g.ints([-1, 1, 1, 1]);
  const level = g.node('Reshape', [g.node('Cast', ['class_labels'], { to: 1 }), column]);
  const text = g.node('Reshape', [
    g.node('ReduceMean', ['encoder_hidden_states'], { axes: [1, 2], keepdims: 1 }),
    column,
  ]);
  const out = g.node('Add', [
    g.node('Add', [conv, g.node('Mul', [level, g.floats([UNET_LEVEL_WEIGHT], [1])])]),
    g.node('Mul', [text, g.floats([UNET_TEXT_WEIGHT], [1])]),
  ]);
  g.node('Identity', [out], undefined, 'out_sample');
  g.output('out_sample', 'float32', ['batch', 4, 'height', 'width']);
  return g;
}

/** Decoder: RGB = the first three latent channels, nearest-upsampled by 4 (no squashing: hand-checkable). */
function upscalerVae(): OnnxGraph {
  const g = new OnnxGraph();
  g.input('latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width']);
  const w = new Float32Array(12);
  for (let c = 0; c < 3; c++) w[c * 4 + c] = 1;
  const rgb = g.node('Conv', ['latent_sample', g.floats(w, [3, 4, 1, 1])]);
  g.node('Resize', [rgb, '', g.floats([1, 1, 4, 4], [4])], { mode: 'nearest' }, 'sample');
  g.output('sample', 'float32', ['batch', 3, 'height', 'width']);
  return g;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface TinyUpscalerVariant {
  /** `vae` (diffusers' ONNX upscale pipeline) or `vae_decoder` (optimum). */
  vaeDir?: 'vae' | 'vae_decoder';
  scalingFactor?: number;
  maxNoiseLevel?: number;
  predictionType?: 'epsilon' | 'v_prediction';
}

/** A complete OnnxStableDiffusionUpscalePipeline folder of tiny, hand-computable networks. */
export async function writeTinyUpscaler(dir: string, variant: TinyUpscalerVariant = {}): Promise<string> {
  const vaeDir = variant.vaeDir ?? 'vae';
  const write = async (sub: string, graph: OnnxGraph) => {
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, 'model.onnx'), graph.encode().model);
  };
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'model_index.json'),
    json({
      _class_name: 'OnnxStableDiffusionUpscalePipeline',
      _diffusers_version: '0.30.0',
      low_res_scheduler: ['diffusers', 'DDPMScheduler'],
      scheduler: ['diffusers', 'DDIMScheduler'],
      text_encoder: ['diffusers', 'OnnxRuntimeModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'OnnxRuntimeModel'],
      [vaeDir]: ['diffusers', 'OnnxRuntimeModel'],
      max_noise_level: variant.maxNoiseLevel ?? 350,
      num_latent_channels: 4,
      num_unet_input_channels: 7,
    }),
  );
  await write('text_encoder', textEncoder({ idsType: 'int32', io: 'float32' }));
  await write('unet', upscalerUnet());
  await writeFile(
    join(dir, 'unet', 'config.json'),
    json({ in_channels: 7, out_channels: 4, num_class_embeds: 1000 }),
  );
  await write(vaeDir, upscalerVae());
  await writeFile(
    join(dir, vaeDir, 'config.json'),
    json({
      latent_channels: 4,
      block_out_channels: [8, 16, 32],
      ...(variant.scalingFactor === undefined ? {} : { scaling_factor: variant.scalingFactor }),
    }),
  );
  await writeTinyTokenizer(dir);
  const schedule = {
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: 'scaled_linear',
    num_train_timesteps: 1000,
  };
  await mkdir(join(dir, 'scheduler'), { recursive: true });
  await writeFile(
    join(dir, 'scheduler', 'scheduler_config.json'),
    json({
      _class_name: 'DDIMScheduler',
      ...schedule,
      prediction_type: variant.predictionType ?? 'epsilon',
      set_alpha_to_one: false,
      steps_offset: 1,
      clip_sample: false,
    }),
  );
  await mkdir(join(dir, 'low_res_scheduler'), { recursive: true });
  await writeFile(
    join(dir, 'low_res_scheduler', 'scheduler_config.json'),
    json({ _class_name: 'DDPMScheduler', ...schedule }),
  );
  return dir;
}

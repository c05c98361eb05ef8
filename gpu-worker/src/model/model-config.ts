import { ModelFolderError } from './model-folder-error';
import { numberField, readJsonObject } from './read-config';

/** diffusers' AutoencoderKL default (`scaling_factor`), the SD 1.x/2.x value. */
export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;

/** What the pipeline needs from the JSON files of a diffusers ONNX export. */
export interface ModelConfig {
  /** `_class_name` of model_index.json, e.g. OnnxStableDiffusionPipeline. */
  pipelineClass: string;
  /** Latents are multiplied by this after VAE encode and divided before decode. */
  vaeScalingFactor: number;
  /** Pixels per latent along each side: 2^(len(block_out_channels) - 1), 8 for SD. */
  vaeSpatialFactor: number;
  /** `sample_size` of unet/config.json (latents), when present. */
  unetSampleSize?: number;
  /** diffusers scheduler class of scheduler/scheduler_config.json, e.g. PNDMScheduler. */
  schedulerClass?: string;
  /** The scheduler_config.json keys, passed to createScheduler as-is. */
  schedulerConfig: Record<string, unknown>;
}

export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const index = await readJsonObject(dir, 'model_index.json');
  const pipelineClass = typeof index?._class_name === 'string' ? index._class_name : 'unknown';
  const vaeFile = 'vae_decoder/config.json';
  const vae =
    (await readJsonObject(dir, vaeFile, true)) ??
    (await readJsonObject(dir, 'vae_encoder/config.json', true));
  const scaling = numberField(vae, 'scaling_factor', vaeFile) ?? DEFAULT_VAE_SCALING_FACTOR;
  if (scaling <= 0) throw new ModelFolderError(vaeFile, 'scaling_factor must be positive');
  const blocks = vae?.block_out_channels;
  if (blocks !== undefined && (!Array.isArray(blocks) || blocks.length === 0)) {
    throw new ModelFolderError(vaeFile, 'block_out_channels must be a non-empty array');
  }
  const spatial = Array.isArray(blocks) ? 2 ** (blocks.length - 1) : 8;
  const unet = await readJsonObject(dir, 'unet/config.json', true);
  const schedulerFile = 'scheduler/scheduler_config.json';
  const schedulerConfig = await readJsonObject(dir, schedulerFile);
  return {
    pipelineClass,
    vaeScalingFactor: scaling,
    vaeSpatialFactor: spatial,
    unetSampleSize: numberField(unet, 'sample_size', 'unet/config.json'),
    schedulerClass:
      typeof schedulerConfig?._class_name === 'string' ? schedulerConfig._class_name : undefined,
    schedulerConfig: schedulerConfig ?? {},
  };
}

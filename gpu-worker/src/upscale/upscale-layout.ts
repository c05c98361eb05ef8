import { readJsonObject } from '../model/read-config';

/**
 * Whether a model folder is an x4-upscaler export (diffusers' OnnxStableDiffusionUpscalePipeline /
 * StableDiffusionUpscalePipeline): said by model_index.json's `_class_name`, or, for an export
 * that names another class, by a `low_res_scheduler` component. The UNet's graph inputs
 * (`class_labels`, 7 channels) are checked when the folder is loaded.
 */
export async function isUpscaleExport(dir: string): Promise<boolean> {
  const index = await readJsonObject(dir, 'model_index.json', true);
  if (!index) return false;
  const name = typeof index._class_name === 'string' ? index._class_name : '';
  return /Upscale/.test(name) && !/LatentUpscale/.test(name) ? true : index.low_res_scheduler !== undefined;
}

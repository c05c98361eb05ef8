export { loadUpscaleModel, X4_MAX_NOISE_LEVEL, X4_VAE_SCALING_FACTOR } from './load-upscale-model';
export { lowResSchedule, noiseLowRes } from './low-res-noise';
export { tiledDecode, tileStarts } from './tiled-decode';
export { upscaleUnetInput } from './unet-input';
export { isUpscaleExport } from './upscale-layout';
export {
  DEFAULT_MAX_UPSCALE_INPUT_PIXELS,
  loadUpscalePipeline,
  type UpscaleInfo,
  UpscalePipeline,
  type UpscalePipelineOptions,
  type UpscaleResult,
} from './upscale-pipeline';
export { checkUpscale, DEFAULT_NOISE_LEVEL, resolveUpscale, type UpscaleRequest } from './upscale-request';

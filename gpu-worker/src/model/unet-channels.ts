import { firstConvInputChannels, readOnnxGraphStructure } from './onnx-file-reader';

/** Where the UNet's input channel count came from (logged, and reported in tests). */
export type ChannelSource = 'graph' | 'unet/config.json' | 'model_index.json' | 'default';

/**
 * diffusers' inpainting pipelines whose UNet takes 9 channels (latents, mask, masked-image
 * latents). The *Legacy* inpainting pipelines run an ordinary 4-channel UNet.
 */
const NINE_CHANNEL_PIPELINES = new Set([
  'StableDiffusionInpaintPipeline',
  'OnnxStableDiffusionInpaintPipeline',
  'ORTStableDiffusionInpaintPipeline',
]);

/**
 * Input channels of a UNet whose `sample` input has a symbolic channel axis, as diffusers'
 * convert_stable_diffusion_checkpoint_to_onnx.py writes it (and it writes no
 * unet/config.json). The graph is the truth onnxruntime will run, so it comes first: the
 * first Conv on `sample` has weight [out, in, kH, kW]. Then unet/config.json's
 * in_channels, then model_index.json's pipeline class, then 4.
 */
export async function detectUnetChannels(
  unetPath: string,
  configChannels: number | undefined,
  pipelineClass: string,
): Promise<{ channels: number; source: ChannelSource }> {
  let fromGraph: number | undefined;
  try {
    fromGraph = firstConvInputChannels(await readOnnxGraphStructure(unetPath), 'sample');
  } catch {
    // onnxruntime loaded the file already; a structure this reader cannot follow is not fatal.
    fromGraph = undefined;
  }
  if (fromGraph !== undefined) return { channels: fromGraph, source: 'graph' };
  if (configChannels !== undefined) return { channels: configChannels, source: 'unet/config.json' };
  if (NINE_CHANNEL_PIPELINES.has(pipelineClass)) return { channels: 9, source: 'model_index.json' };
  return { channels: 4, source: 'default' };
}

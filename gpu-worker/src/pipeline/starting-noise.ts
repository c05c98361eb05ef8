import type { VaeEncoding } from '../model/vae';
import type { NoiseSource } from '../schedulers';
import type { InpaintOverlay } from './apply-overlay';
import { sampleLatents } from './image-latents';
import type { Rng } from './noise-stream';

export interface EncodedInputs {
  image: VaeEncoding;
  /** Latent-resolution inpainting mask. */
  mask?: Float32Array;
  /** The masked image's encoding (9-channel inpainting UNets). */
  masked?: VaeEncoding;
  /** The input image and mask at output size: kept pixels are pasted back after decoding. */
  overlay?: InpaintOverlay;
}

export interface StartingDraws {
  /** N(0, 1) latents: the txt2img start, or the noise img2img/inpaint adds to the image. */
  initial: Float32Array;
  /** The image's sampled, scaled latents; absent only where nothing uses them. */
  imageLatents?: Float32Array;
  /** The masked image's sampled, scaled latents (9-channel inpainting). */
  maskedLatents?: Float32Array;
}

/**
 * What one image draws from its stream before the first step, in its generator's order.
 * `torch` follows diffusers: prepare_latents samples the image's VAE posterior before drawing the
 * initial noise (except 9-channel inpainting at strength 1, which never encodes the image), and
 * the inpainting pipeline then samples the masked image's posterior even for 4-channel UNets,
 * which ignore it. `xoshiro128` keeps the order of earlier releases: initial noise, image,
 * masked image.
 */
export function startingDraws(
  noise: NoiseSource,
  rng: Rng,
  inputs: EncodedInputs | undefined,
  options: { latentSize: number; scaling: number; strength: number },
): StartingDraws {
  const sample = (encoding: VaeEncoding) => sampleLatents(encoding, noise, options.scaling);
  if (!inputs) return { initial: noise.randn(options.latentSize) };
  const inpaint = inputs.mask !== undefined;
  if (rng === 'xoshiro128') {
    const initial = noise.randn(options.latentSize);
    const imageLatents = sample(inputs.image);
    return { initial, imageLatents, maskedLatents: inputs.masked ? sample(inputs.masked) : undefined };
  }
  const skipImage = inpaint && inputs.masked !== undefined && options.strength === 1;
  const imageLatents = skipImage ? undefined : sample(inputs.image);
  const initial = noise.randn(options.latentSize);
  let maskedLatents: Float32Array | undefined;
  if (inputs.masked) maskedLatents = sample(inputs.masked);
  else if (inpaint && inputs.image.kind === 'parameters') noise.randn(options.latentSize);
  return { initial, imageLatents, maskedLatents };
}

import type { RunClock } from '../model/run-clock';
import type { VaeEncoderModel, VaeEncoding } from '../model/vae';
import type { NoiseSource } from '../schedulers';

/** Planar RGB in [-1, 1] -> the VAE's latent distribution for one image. */
export function encodeImage(
  vae: VaeEncoderModel,
  planar: Float32Array,
  width: number,
  height: number,
  clock: RunClock,
): Promise<VaeEncoding> {
  return vae.encode(planar, [1, 3, height, width], clock);
}

/**
 * Draws latents from the encoding, times the scaling factor. With mean and log-variance we
 * sample z = mean + exp(logvar / 2) * n with the image's own noise (diffusers'
 * DiagonalGaussianDistribution, logvar clamped to [-30, 20]), so img2img is seeded too.
 */
export function sampleLatents(encoding: VaeEncoding, noise: NoiseSource, scaling: number): Float32Array {
  if (encoding.kind === 'sample') return encoding.data.map((v) => v * scaling);
  const half = encoding.data.length / 2;
  const n = noise.randn(half);
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const logvar = Math.min(20, Math.max(-30, encoding.data[half + i]));
    out[i] = (encoding.data[i] + Math.exp(0.5 * logvar) * n[i]) * scaling;
  }
  return out;
}

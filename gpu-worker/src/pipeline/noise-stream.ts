import { gaussian, SeededRandom } from '../random';
import type { NoiseSource } from '../schedulers';

/**
 * The one random stream of image `index` of a request: seeded with seed + index and used
 * by nothing else, so an image is the same whatever batch or position it is generated in.
 * Draw order: initial latent noise, then the VAE posterior sample(s) of img2img/inpaint,
 * then the scheduler's per-step noise.
 */
export function noiseStream(seed: number): NoiseSource {
  const random = new SeededRandom(seed);
  return { randn: (n) => gaussian(random, n) };
}

import type { RNGS } from '@ldm/shared';
import { gaussian, SeededRandom, TorchCpuGenerator } from '../random';
import type { NoiseSource } from '../schedulers';

export type Rng = (typeof RNGS)[number];

/**
 * The one random stream of image `index` of a request: seeded with seed + index and used by
 * nothing else, so an image is the same whatever batch or position it is generated in.
 *
 * `torch` (the default) is torch.randn with `torch.Generator('cpu').manual_seed(seed + index)`,
 * drawn in diffusers' order (prepareRequest), so image k is what diffusers gives for the same
 * request with that generator: initial latents, then per step the scheduler's noise; img2img and
 * inpaint draw the VAE posterior sample(s) first, as diffusers' prepare_latents does.
 * `xoshiro128` is the generator of earlier releases (xoshiro128** with Box-Muller), kept with
 * its own draw order (initial latents, VAE posterior(s), scheduler noise) so its seeds still
 * give the same images.
 */
export function noiseStream(seed: number, rng: Rng = 'torch'): NoiseSource {
  if (rng === 'torch') return new TorchCpuGenerator(seed);
  const random = new SeededRandom(seed);
  return { randn: (n) => gaussian(random, n) };
}

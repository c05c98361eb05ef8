import { describe, expect, it } from 'vitest';
import type { VaeEncoding } from '../model/vae';
import { gaussian, SeededRandom, TorchCpuGenerator, torchCpuRandn } from '../random';
import { noiseStream } from './noise-stream';
import { startingDraws } from './starting-noise';

// One 4x2x2 latent: 16 values, the smallest that takes torch's 16-value kernel like a real latent.
const SIZE = 16;
const options = { latentSize: SIZE, scaling: 0.5, strength: 0.6 };

/** A VAE posterior with mean m_i = i / 10 and log-variance 0 (std 1): a sample is mean + n. */
const posterior: VaeEncoding = {
  kind: 'parameters',
  dims: [1, 8, 2, 2],
  data: Float32Array.from({ length: 2 * SIZE }, (_, i) => (i < SIZE ? i / 10 : 0)),
};

const sampled = (n: Float32Array) => Float32Array.from(n, (v, i) => (posterior.data[i] + v) * 0.5);

describe('noise streams', () => {
  it('torch is torch.randn with a CPU generator seeded seed + k; xoshiro128 is the earlier generator', () => {
    expect(noiseStream(7).randn(SIZE)).toEqual(torchCpuRandn(7, [1, 4, 2, 2]));
    expect(noiseStream(7, 'xoshiro128').randn(SIZE)).toEqual(gaussian(new SeededRandom(7), SIZE));
  });
});

describe("starting draws in diffusers' order (torch)", () => {
  it('txt2img: the initial latents are the first draw', () => {
    const draws = startingDraws(noiseStream(3), 'torch', undefined, options);
    expect(draws.initial).toEqual(torchCpuRandn(3, [1, 4, 2, 2]));
  });

  it('img2img: the VAE posterior is sampled before the noise is drawn (diffusers prepare_latents)', () => {
    const draws = startingDraws(noiseStream(3), 'torch', { image: posterior }, options);
    const g = new TorchCpuGenerator(3);
    const first = g.randn(SIZE);
    const second = g.randn(SIZE);
    expect(draws.imageLatents).toEqual(sampled(first));
    expect(draws.initial).toEqual(second);
  });

  it('inpaint, 4-channel UNet: image, noise, then the masked image posterior diffusers samples and ignores', () => {
    const stream = noiseStream(5);
    const draws = startingDraws(stream, 'torch', { image: posterior, mask: new Float32Array(4) }, options);
    const g = new TorchCpuGenerator(5);
    expect(draws.imageLatents).toEqual(sampled(g.randn(SIZE)));
    expect(draws.initial).toEqual(g.randn(SIZE));
    g.randn(SIZE);
    // The first scheduler draw comes after all three.
    expect(stream.randn(SIZE)).toEqual(g.randn(SIZE));
  });

  it('inpaint, 9-channel UNet at strength 1: no image draw, then noise and the masked image', () => {
    const inputs = { image: posterior, mask: new Float32Array(4), masked: posterior };
    const draws = startingDraws(noiseStream(5), 'torch', inputs, { ...options, strength: 1 });
    const g = new TorchCpuGenerator(5);
    expect(draws.imageLatents).toBeUndefined();
    expect(draws.initial).toEqual(g.randn(SIZE));
    expect(draws.maskedLatents).toEqual(sampled(g.randn(SIZE)));
  });

  it('xoshiro128 keeps the order of earlier releases: noise, image, masked image', () => {
    const inputs = { image: posterior, mask: new Float32Array(4), masked: posterior };
    const draws = startingDraws(noiseStream(9, 'xoshiro128'), 'xoshiro128', inputs, options);
    const random = new SeededRandom(9);
    expect(draws.initial).toEqual(gaussian(random, SIZE));
    expect(draws.imageLatents).toEqual(sampled(gaussian(random, SIZE)));
    expect(draws.maskedLatents).toEqual(sampled(gaussian(random, SIZE)));
  });
});

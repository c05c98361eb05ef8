import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits';
import { type ModelDefaults, REQUEST_DEFAULTS, resolveRequest, sizeFromImage } from './resolve-request';

/** An export without a catalog entry: no default steps or guidance of its own. */
const bare: ModelDefaults = {
  native_width: 512,
  native_height: 512,
  min_size: 64,
  max_size: 1024,
  max_pixels: 1024 * 1024,
  default_scheduler: 'pndm',
};

describe('resolveRequest: one set of defaults, as diffusers', () => {
  it('fills every field of a bare txt2img request with diffusers defaults', () => {
    const r = resolveRequest({ prompt: 'a cat', seed: 3 }, bare);
    expect(r).toEqual({
      task: 'txt2img',
      prompt: 'a cat',
      negative_prompt: '',
      width: 512,
      height: 512,
      steps: 50,
      guidance_scale: 7.5,
      guidance_rescale: 0,
      clip_skip: 0,
      scheduler: 'pndm',
      use_karras_sigmas: false,
      rng: 'torch',
      seed: 3,
      num_outputs: 1,
      strength: 1,
    });
  });

  it('takes a catalog entry defaults over the shared ones (the demo model keeps its fast ones)', () => {
    const demo = {
      ...bare,
      default_steps: 20,
      default_guidance_scale: 5,
      default_scheduler: 'dpmpp_2m',
    } as const;
    const r = resolveRequest({ prompt: 'x' }, demo);
    expect([r.steps, r.guidance_scale, r.scheduler]).toEqual([20, 5, 'dpmpp_2m']);
  });

  it('defaults strength to 0.8 for img2img and 1.0 for inpaint, as diffusers', () => {
    expect(resolveRequest({ task: 'img2img' }, bare).strength).toBe(0.8);
    expect(resolveRequest({ task: 'inpaint' }, bare).strength).toBe(1);
    expect(resolveRequest({ image: new Uint8Array(1) }, bare)).toMatchObject({
      task: 'img2img',
      strength: 0.8,
    });
    expect(resolveRequest({ image: new Uint8Array(1), mask: new Uint8Array(1) }, bare)).toMatchObject({
      task: 'inpaint',
      strength: 1,
    });
    expect(resolveRequest({ task: 'inpaint', strength: 0.3 }, bare).strength).toBe(0.3);
  });

  it('keeps every field the request gives', () => {
    const given = {
      task: 'img2img',
      prompt: 'p',
      negative_prompt: 'n',
      width: 256,
      height: 128,
      steps: 7,
      guidance_scale: 0,
      guidance_rescale: 0.5,
      clip_skip: 2,
      scheduler: 'lcm',
      use_karras_sigmas: true,
      rng: 'xoshiro128',
      seed: 0,
      num_outputs: 4,
      strength: 0.25,
    } as const;
    expect(resolveRequest(given, bare, { width: 999, height: 999 })).toEqual(given);
  });

  it("takes the model's per-task strength defaults (SDXL pipelines: 0.3 and 0.9999) over the shared ones", () => {
    const sdxl = { ...bare, default_strength: { img2img: 0.3, inpaint: 0.9999 } };
    expect(resolveRequest({ task: 'img2img' }, sdxl).strength).toBe(0.3);
    expect(resolveRequest({ task: 'inpaint' }, sdxl).strength).toBe(0.9999);
    expect(resolveRequest({ task: 'img2img', strength: 0.5 }, sdxl).strength).toBe(0.5);
    expect(resolveRequest({ task: 'txt2img' }, sdxl).strength).toBe(1);
    expect(resolveRequest({ task: 'img2img' }, bare).strength).toBe(0.8);
  });

  it('passes the SDXL fields on only when given; a refiner brings denoising_end 0.8', () => {
    expect(resolveRequest({}, bare)).not.toHaveProperty('original_size');
    const given = resolveRequest({ original_size: [1024, 768], aesthetic_score: 7, refiner: 'r' }, bare);
    expect([given.original_size, given.aesthetic_score, given.refiner, given.denoising_end]).toEqual([
      [1024, 768],
      7,
      'r',
      0.8,
    ]);
    expect(resolveRequest({ denoising_end: 0.7 }, bare)).not.toHaveProperty('denoising_end');
  });

  it('draws a seed in the API range when the request has none', () => {
    const seeds = new Set(Array.from({ length: 20 }, () => resolveRequest({}, bare).seed));
    expect(seeds.size).toBeGreaterThan(1);
    for (const seed of seeds) {
      expect(Number.isInteger(seed) && seed >= 0 && seed <= LIMITS.seedMax).toBe(true);
    }
  });
});

describe('output size of img2img/inpaint: the input image size, as diffusers', () => {
  it.each([
    // [input width, height] -> [output width, height]
    [
      [517, 389],
      [512, 384],
    ],
    [
      [640, 480],
      [640, 480],
    ],
    [
      [300, 301],
      [296, 296],
    ],
    // Past the model's pixel budget (1024 x 1024): scaled as a whole, aspect kept, then rounded down.
    [
      [2048, 1536],
      [1024, 768],
    ],
    // Past the longest side: the same.
    [
      [3000, 600],
      [1024, 200],
    ],
    // Under the smallest side: raised to it.
    [
      [40, 700],
      [64, 696],
    ],
  ])('%j -> %j', ([width, height], expected) => {
    expect(sizeFromImage({ width, height }, bare)).toEqual({ width: expected[0], height: expected[1] });
    const r = resolveRequest({ task: 'img2img' }, bare, { width, height });
    expect([r.width, r.height]).toEqual(expected);
  });

  it('uses a size the request names, each side on its own (diffusers: get_default_height_width)', () => {
    const r = resolveRequest({ task: 'inpaint', width: 256 }, bare, { width: 517, height: 389 });
    expect([r.width, r.height]).toEqual([256, 384]);
  });

  it('leaves txt2img at the native size whatever image is passed', () => {
    const r = resolveRequest({ task: 'txt2img' }, bare, { width: 517, height: 389 });
    expect([r.width, r.height]).toEqual([512, 512]);
  });

  it('rounds to the model multiple when it is coarser than 8', () => {
    expect(sizeFromImage({ width: 500, height: 500 }, { ...bare, size_multiple: 16 })).toEqual({
      width: 496,
      height: 496,
    });
  });

  it('has the diffusers figures in REQUEST_DEFAULTS', () => {
    expect(REQUEST_DEFAULTS.steps).toBe(50);
    expect(REQUEST_DEFAULTS.guidance_scale).toBe(7.5);
  });
});

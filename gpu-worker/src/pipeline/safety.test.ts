import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { clipPreprocessing, preprocessForClip } from '../model/safety-checker';
import { type LatentDiffusionPipeline, loadPipeline } from './pipeline';
import type { StandaloneRequest } from './request';
import { resolveAndGenerate } from './standalone';

const CLIP = clipPreprocessing(undefined);
const normalizedRed = (value: number) => (value / 255 - CLIP.mean[0]) / CLIP.std[0];
const meanRed = async (rgb: Uint8Array, width: number, height: number) => {
  const clip = await preprocessForClip(rgb, width, height, CLIP);
  const plane = CLIP.cropWidth * CLIP.cropHeight;
  return clip.subarray(0, plane).reduce((a, b) => a + b, 0) / plane;
};

function solid(width: number, height: number, color: (x: number) => number[]): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(color(x), (y * width + x) * 3);
  return rgb;
}

describe('CLIP preprocessing (CLIPImageProcessor: shortest side 224 bicubic, centre crop 224, CLIP mean/std)', () => {
  it('normalises a uniform image to (v / 255 - mean) / std in every channel', async () => {
    const out = await preprocessForClip(
      solid(64, 64, () => [200, 10, 128]),
      64,
      64,
      CLIP,
    );
    expect(out.length).toBe(3 * 224 * 224);
    const plane = 224 * 224;
    for (const [c, v] of [200, 10, 128].entries()) {
      const expected = (v / 255 - CLIP.mean[c]) / CLIP.std[c];
      const channel = out.subarray(c * plane, (c + 1) * plane);
      expect(Math.max(...channel.map((x) => Math.abs(x - expected)))).toBeLessThan(1e-5);
    }
  });

  it('crops the centre of a wide image: 128x64 -> 448x224 -> columns 112..335 (source 32..95)', async () => {
    // Source columns 0..31 green, 32..95 red, 96..127 blue: the crop sees red only, except
    // the bicubic kernel's reach of about one source pixel at its two edges.
    const rgb = solid(128, 64, (x) => (x < 32 ? [0, 255, 0] : x < 96 ? [255, 0, 0] : [0, 0, 255]));
    const out = await preprocessForClip(rgb, 128, 64, CLIP);
    const plane = 224 * 224;
    const at = (c: number, x: number, y: number) => out[c * plane + y * 224 + x];
    for (const x of [8, 112, 215]) {
      expect(at(0, x, 112)).toBeCloseTo(normalizedRed(255), 4);
      expect(at(1, x, 112)).toBeCloseTo((0 - CLIP.mean[1]) / CLIP.std[1], 4);
    }
    // The crop's first column sits on the green/red boundary: the kernel blends in at most half green.
    expect(at(1, 0, 112)).toBeGreaterThan((0 - CLIP.mean[1]) / CLIP.std[1] - 1e-4);
    expect(at(1, 0, 112)).toBeLessThan((130 / 255 - CLIP.mean[1]) / CLIP.std[1]);
    expect(at(1, 3, 112)).toBeLessThan((20 / 255 - CLIP.mean[1]) / CLIP.std[1]);
  });
});

describe('safety checker in the pipeline', () => {
  let root: string;
  let probe: LatentDiffusionPipeline;
  let checked: LatentDiffusionPipeline;
  const request: StandaloneRequest = { prompt: 'a cat', steps: 2, scheduler: 'ddim', seed: 0 };
  let flaggedSeed = -1;
  let cleanSeed = -1;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ldm-safety-'));
    // Measure the red of a few images without checking, then build a checker whose
    // threshold falls between them: some seeds are flagged, some are not.
    probe = await loadPipeline(await writeTinyModel(join(root, 'probe'), { withSafetyChecker: true }), {
      safetyChecker: 'off',
    });
    const reds: { seed: number; red: number }[] = [];
    for (let seed = 0; seed < 6; seed++) {
      const { images } = await resolveAndGenerate(probe, { ...request, seed });
      reds.push({ seed, red: await meanRed(images[0].rgb, 64, 64) });
    }
    reds.sort((a, b) => a.red - b.red);
    const threshold = (reds[2].red + reds[3].red) / 2;
    cleanSeed = reds[0].seed;
    flaggedSeed = reds[5].seed;
    checked = await loadPipeline(
      await writeTinyModel(join(root, 'checked'), { withSafetyChecker: true, safetyRedThreshold: threshold }),
    );
  });

  afterAll(async () => {
    await probe?.release();
    await checked?.release();
    await rm(root, { recursive: true, force: true });
  });

  const run = async (seed: number, safety_checker?: 'block' | 'blur' | 'off') =>
    (await resolveAndGenerate(checked, { ...request, seed, ...(safety_checker ? { safety_checker } : {}) }))
      .images[0];
  const original = async (seed: number) => (await resolveAndGenerate(probe, { ...request, seed })).images[0];

  it('block (the default): a flagged image is black and says nsfw; a clean one is untouched', async () => {
    const flagged = await run(flaggedSeed);
    expect(flagged.nsfw).toBe(true);
    expect(flagged.rgb.every((v) => v === 0)).toBe(true);
    const clean = await run(cleanSeed);
    expect(clean.nsfw).toBe(false);
    expect(Buffer.from(clean.rgb).equals(Buffer.from((await original(cleanSeed)).rgb))).toBe(true);
  });

  it('blur: a flagged image keeps its average colour but loses its detail', async () => {
    const blurred = await run(flaggedSeed, 'blur');
    const source = (await original(flaggedSeed)).rgb;
    expect(blurred.nsfw).toBe(true);
    const mean = (a: Uint8Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(Math.abs(mean(blurred.rgb) - mean(source))).toBeLessThan(8);
    // Detail: the mean difference between horizontal neighbours drops by more than half.
    const detail = (a: Uint8Array) => {
      let sum = 0;
      for (let i = 3; i < a.length; i++) sum += Math.abs(a[i] - a[i - 3]);
      return sum / a.length;
    };
    expect(detail(blurred.rgb)).toBeLessThan(detail(source) / 2);
  });

  it("off (the job's mode over the worker's): the checker does not run and no flag is reported", async () => {
    const runs = async (safety_checker: 'block' | 'off') =>
      (await resolveAndGenerate(checked, { ...request, seed: flaggedSeed, safety_checker })).timings.onnxRuns;
    expect((await runs('block')) - (await runs('off'))).toBe(1);
    const off = await run(flaggedSeed, 'off');
    expect(off.nsfw).toBeUndefined();
    expect(Buffer.from(off.rgb).equals(Buffer.from((await original(flaggedSeed)).rgb))).toBe(true);
  });

  it('a model without safety_checker/ reports no flag in any mode', async () => {
    const bare = await loadPipeline(await writeTinyModel(join(root, 'bare')));
    try {
      const image = (await resolveAndGenerate(bare, { ...request, safety_checker: 'block' })).images[0];
      expect(image.nsfw).toBeUndefined();
    } finally {
      await bare.release();
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyUpscaler } from '../../test-fixtures/tiny-upscaler-folder';
import { RunClock } from '../model/run-clock';
import { type LoadedUpscaleModel, loadUpscaleModel } from './load-upscale-model';
import { tiledDecode, tileStarts } from './tiled-decode';
import { upscaleUnetInput, writeUpscaleLatents, writeUpscaleNoisedImages } from './unet-input';

let dir: string;
let model: LoadedUpscaleModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-tiles-'));
  model = await loadUpscaleModel(await writeTinyUpscaler(join(dir, 'x4')));
});

afterAll(async () => {
  await model?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('tileStarts', () => {
  it('covers the side with the given overlap, the last tile flush with the end', () => {
    expect(tileStarts(64, 64, 8)).toEqual([0]);
    expect(tileStarts(40, 64, 8)).toEqual([0]);
    expect(tileStarts(128, 64, 8)).toEqual([0, 56, 64]);
    expect(tileStarts(100, 32, 8)).toEqual([0, 24, 48, 68]);
  });

  it('refuses an overlap below 0 or not under the tile (the loop would never end or leave gaps)', () => {
    expect(() => tileStarts(128, 64, 64)).toThrow(RangeError);
    expect(() => tileStarts(128, 64, 100)).toThrow(
      'tile overlap 100 must be at least 0 and under the tile size 64',
    );
    expect(() => tileStarts(128, 64, -1)).toThrow(RangeError);
    expect(() => tileStarts(40, 64, Number.NaN)).toThrow(RangeError);
    expect(tileStarts(128, 64, 63)).toHaveLength(65);
  });
});

describe('tiledDecode', () => {
  it('equals one whole decode (blend weights sum to 1) and runs one session call per tile', async () => {
    const h = 20;
    const w = 28;
    const latents = Float32Array.from({ length: 4 * h * w }, (_, i) => Math.sin(i * 0.37));
    const clock = new RunClock();
    const whole = await tiledDecode(model.vaeDecoder, latents, h, w, 4, clock, { tile: 64, overlap: 8 });
    expect(whole.tiles).toBe(1);
    const tiled = await tiledDecode(model.vaeDecoder, latents, h, w, 4, clock, { tile: 8, overlap: 3 });
    expect(tiled.tiles).toBe(tileStarts(h, 8, 3).length * tileStarts(w, 8, 3).length);
    expect(clock.runs).toBe(1 + tiled.tiles);
    expect([tiled.width, tiled.height]).toEqual([112, 80]);
    let worst = 0;
    for (let i = 0; i < whole.planes.length; i++)
      worst = Math.max(worst, Math.abs(whole.planes[i] - tiled.planes[i]));
    expect(worst).toBeLessThan(1e-6);
    // Hand check: output pixel (x 13, y 7) of channel 1 is latent (3, 1) of channel 1 (nearest x4).
    expect(tiled.planes[1 * 80 * 112 + 7 * 112 + 13]).toBeCloseTo(latents[1 * h * w + 1 * w + 3], 6);
  });
});

describe('upscaleUnetInput', () => {
  it('lays out [uncond, cond] rows of 4 latent + 3 image channels per image', () => {
    const plane = 2;
    const latents = [
      Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      Float32Array.of(11, 12, 13, 14, 15, 16, 17, 18),
    ];
    const images = [Float32Array.of(-1, -2, -3, -4, -5, -6), Float32Array.of(-11, -12, -13, -14, -15, -16)];
    const guided = upscaleUnetInput(latents, images, true, plane);
    expect(Array.from(guided.subarray(0, 14))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6]);
    expect(Array.from(guided.subarray(14, 28))).toEqual(Array.from(guided.subarray(0, 14)));
    expect(Array.from(guided.subarray(28, 42))).toEqual([
      11, 12, 13, 14, 15, 16, 17, 18, -11, -12, -13, -14, -15, -16,
    ]);
    expect(upscaleUnetInput(latents, images, false, plane).length).toBe(28);
  });

  it('the image written once and the latents per step give the same input as writing both each step', () => {
    const plane = 2;
    const images = [Float32Array.of(-1, -2, -3, -4, -5, -6)];
    const sample = new Float32Array(2 * 7 * plane);
    writeUpscaleNoisedImages(images, true, plane, sample);
    for (const step of [0, 1, 2]) {
      const latents = [Float32Array.from({ length: 4 * plane }, (_, c) => 10 * step + c)];
      writeUpscaleLatents(latents, true, plane, sample);
      expect(Array.from(sample)).toEqual(Array.from(upscaleUnetInput(latents, images, true, plane)));
    }
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUpscalePipeline, type UpscalePipeline } from './upscale-pipeline';

const MODEL = join(import.meta.dirname, '..', '..', '..', 'models', 'demo-upscaler');

/** A demo scene: a red disc on blue at 256 px (4x4 supersampled), and its 64 px box-filtered input. */
function scene(): { high: Uint8Array; low: Uint8Array } {
  const high = new Uint8Array(256 * 256 * 3);
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      let hits = 0;
      for (let s = 0; s < 16; s++) {
        const px = x + ((s % 4) + 0.5) / 4;
        const py = y + (Math.floor(s / 4) + 0.5) / 4;
        if ((px - 90) ** 2 + (py - 150) ** 2 <= 50 ** 2) hits++;
      }
      const c = hits / 16;
      high.set(
        [220 * c + 30 * (1 - c), 30 * c + 60 * (1 - c), 30 * c + 220 * (1 - c)].map(Math.round),
        3 * (y * 256 + x),
      );
    }
  }
  const low = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64 * 3; i++) {
    const c = i % 3;
    const x = Math.floor(i / 3) % 64;
    const y = Math.floor(i / 192);
    let sum = 0;
    for (let d = 0; d < 16; d++) sum += high[3 * ((4 * y + (d >> 2)) * 256 + 4 * x + (d & 3)) + c];
    low[i] = Math.round(sum / 16);
  }
  return { high, low };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

/** The shipped upscaler is committed: a missing one fails the test, naming it, never skips. */
describe('demo-upscaler, end to end', () => {
  let pipeline: UpscalePipeline;
  beforeAll(async () => {
    if (!existsSync(join(MODEL, 'model_index.json'))) {
      throw new Error(`the committed demo upscaler is missing: ${MODEL} (restore it with git)`);
    }
    pipeline = await loadUpscalePipeline(MODEL);
  });
  afterAll(async () => {
    await pipeline?.release();
  });

  it('is read as an x4 upscaler and beats bicubic on a demo scene', async () => {
    expect(pipeline.info).toMatchObject({ scale: 4, maxNoiseLevel: 350, defaultScheduler: 'ddim' });
    const { high, low } = scene();
    const raw = { raw: { width: 64, height: 64, channels: 3 as const } };
    const png = new Uint8Array(await sharp(Buffer.from(low), raw).png().toBuffer());
    const { images } = await pipeline.upscale(
      pipeline.resolve({ image: png, seed: 1, steps: 20, guidance_scale: 1 }),
    );
    expect([images[0].width, images[0].height]).toEqual([256, 256]);
    const cubic = new Uint8Array(
      await sharp(Buffer.from(low), raw).resize(256, 256, { kernel: 'cubic' }).raw().toBuffer(),
    );
    expect(psnr(images[0].rgb, high)).toBeGreaterThan(psnr(cubic, high));
  });
});

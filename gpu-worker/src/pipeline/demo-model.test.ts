import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImage, readImageMetadata } from '../image/encode-output';
import { type LatentDiffusionPipeline, loadPipeline } from './pipeline';
import { resolveAndGenerate } from './standalone';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MODEL = join(ROOT, 'models', 'demo-shapes');
const TOKENIZER_CASES = join(ROOT, 'tools', 'demo-model', 'eval', 'tokenizer-cases.json');

/**
 * End to end on the shipped demo model. The model is committed (models/demo-shapes): a missing
 * one is a broken checkout or a lost commit, so this fails, naming what is missing, never skips.
 */
function missingDemoFiles(): string[] {
  return [join(MODEL, 'model_index.json'), TOKENIZER_CASES].filter((path) => !existsSync(path));
}

describe('demo-shapes model, end to end', () => {
  let pipeline: LatentDiffusionPipeline;

  beforeAll(async () => {
    const missing = missingDemoFiles();
    if (missing.length) {
      throw new Error(`the committed demo model is missing: ${missing.join(', ')} (restore it with git)`);
    }
    pipeline = await loadPipeline(MODEL);
  });

  afterAll(async () => {
    await pipeline?.release();
  });

  it('reads its layout: 64x64 native, 8x latents, 4-channel UNet', () => {
    expect(pipeline.info).toMatchObject({
      nativeWidth: 64,
      nativeHeight: 64,
      spatialFactor: 8,
      unetInChannels: 4,
    });
  });

  it('tokenizes like the training recipe', async () => {
    const cases = JSON.parse(readFileSync(TOKENIZER_CASES, 'utf8')) as { text: string; ids: number[] }[];
    const tokenizer = (
      pipeline as unknown as { model: { tokenizer: { encode(t: string): { ids: number[] } } } }
    ).model.tokenizer;
    for (const c of cases) expect([c.text, tokenizer.encode(c.text).ids]).toEqual([c.text, c.ids]);
  });

  it('draws a red shape on a blue background, the same bytes for the same seed', async () => {
    const request = {
      prompt: 'a large red circle in the center on a blue background',
      seed: 3,
      steps: 20,
      scheduler: 'ddim',
      guidance_scale: 5,
    };
    const a = await resolveAndGenerate(pipeline, request);
    const b = await resolveAndGenerate(pipeline, request);
    const image = a.images[0];
    expect([image.width, image.height]).toEqual([64, 64]);
    expect(Buffer.from(image.rgb).equals(Buffer.from(b.images[0].rgb))).toBe(true);
    // The corners are background, the centre is the shape.
    const pixel = (x: number, y: number) =>
      Array.from(image.rgb.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    const [cr, cg, cb] = pixel(2, 2);
    expect(cb).toBeGreaterThan(Math.max(cr, cg) + 50);
    const [mr, mg, mb] = pixel(32, 32);
    expect(mr).toBeGreaterThan(Math.max(mg, mb) + 50);
    const png = await encodeImage(image.rgb, 64, 64, {
      format: 'png',
      metadata: { ...a.request, model: 'demo-shapes', seed: image.seed },
    });
    expect((await readImageMetadata(png))?.prompt).toBe(request.prompt);
  });

  it('runs img2img and sizes beyond 64x64', async () => {
    const base = await resolveAndGenerate(pipeline, {
      prompt: 'a green square on a black background',
      seed: 1,
      steps: 10,
    });
    const image = await encodeImage(base.images[0].rgb, 64, 64, { format: 'png' });
    const edit = await resolveAndGenerate(pipeline, {
      prompt: 'a green square on a white background',
      image,
      strength: 0.6,
      seed: 2,
      steps: 10,
    });
    expect(edit.images[0].rgb.length).toBe(64 * 64 * 3);
    const wide = await resolveAndGenerate(pipeline, {
      prompt: 'a red circle',
      seed: 1,
      steps: 5,
      width: 128,
      height: 64,
    });
    expect([wide.images[0].width, wide.images[0].height]).toEqual([128, 64]);
  });

  it('takes a prompt of several chunks (its UNet attends over 16 x chunks text positions) and weights', async () => {
    const request = { seed: 3, steps: 20, scheduler: 'ddim', guidance_scale: 5 };
    const prompt = 'a large red circle in the center on a blue background';
    const short = await resolveAndGenerate(pipeline, { ...request, prompt });
    // 10 + 12 tokens: two chunks of 14 (the demo tokenizer's length is 16).
    const long = await resolveAndGenerate(pipeline, {
      ...request,
      prompt: `${prompt} on a blue background in the center a large circle`,
    });
    const weighted = await resolveAndGenerate(pipeline, {
      ...request,
      prompt: 'a large (red:1.3) circle in the center on a blue background',
    });
    for (const result of [long, weighted]) {
      const image = result.images[0];
      expect(Buffer.from(image.rgb).equals(Buffer.from(short.images[0].rgb))).toBe(false);
      const pixel = (x: number, y: number) =>
        Array.from(image.rgb.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
      const [cr, cg, cb] = pixel(2, 2);
      expect(cb).toBeGreaterThan(Math.max(cr, cg) + 50);
      const [mr, mg, mb] = pixel(32, 32);
      expect(mr).toBeGreaterThan(Math.max(mg, mb) + 50);
    }
  });
});

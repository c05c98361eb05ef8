import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeImage, readImageMetadata } from './encode-output';
import type { GenerationMetadata } from './generation-metadata';

const metadata: GenerationMetadata = {
  prompt: 'un café "noir" <b> & ☕, 4k',
  negative_prompt: 'blurry\nlow quality',
  seed: 4_294_967_295,
  steps: 30,
  scheduler: 'dpmpp_2m_karras',
  guidance_scale: 7.5,
  model: 'demo-shapes',
  width: 24,
  height: 16,
  task: 'img2img',
  strength: 0.6,
};

const rgb = Uint8Array.from({ length: 24 * 16 * 3 }, (_, i) => (i * 7) % 256);

describe('encodeImage', () => {
  it.each(['png', 'webp', 'jpeg'] as const)(
    'writes %s with the generation parameters, which read back',
    async (format) => {
      const bytes = await encodeImage(rgb, 24, 16, { format, metadata });
      const info = await sharp(bytes).metadata();
      expect([info.format, info.width, info.height]).toEqual([format, 24, 16]);
      expect(await readImageMetadata(bytes)).toEqual(metadata);
    },
  );

  it('puts the AUTOMATIC1111 "parameters" text in PNGs, which SD tools read', async () => {
    const bytes = await encodeImage(rgb, 24, 16, { format: 'png', metadata });
    const { comments } = await sharp(bytes).metadata();
    const parameters = comments?.find((c) => c.keyword === 'parameters')?.text;
    expect(parameters).toBe(
      'un café "noir" <b> & ☕, 4k\nNegative prompt: blurry\nlow quality\n' +
        'Steps: 30, Sampler: dpmpp_2m_karras, CFG scale: 7.5, Seed: 4294967295, Size: 24x16, Model: demo-shapes, ' +
        'Task: img2img, Denoising strength: 0.6',
    );
  });

  it('keeps PNG pixels exact', async () => {
    const bytes = await encodeImage(rgb, 24, 16, { format: 'png', metadata });
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.compare(data, Buffer.from(rgb))).toBe(0);
  });

  it('writes no metadata when none is given', async () => {
    expect(await readImageMetadata(await encodeImage(rgb, 24, 16, { format: 'jpeg' }))).toBeUndefined();
  });

  it('rejects a buffer of the wrong size', async () => {
    await expect(encodeImage(rgb, 24, 15, { format: 'png' })).rejects.toThrow(/24x15 RGB needs 1080/);
  });
});

import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PipelineInputError } from '../pipeline/pipeline-input-error';
import { decodeInputImage, inputImageSize } from './decode-input';

/** A width x height PNG, left half red and right half blue. */
async function halves(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    [format]()
    .toBuffer();
}

async function decodeError(bytes: Uint8Array, maxPixels?: number): Promise<PipelineInputError> {
  const error = await decodeInputImage(bytes, {
    field: 'image',
    width: 16,
    height: 16,
    channels: 3,
    maxPixels,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineInputError);
  return error as PipelineInputError;
}

describe('decodeInputImage', () => {
  it('resizes to the requested size', async () => {
    // 64x32 -> 16x16: left 8 columns red, right 8 blue.
    const rgb = await decodeInputImage(await halves(64, 32), {
      field: 'image',
      width: 16,
      height: 16,
      channels: 3,
    });
    expect(rgb.length).toBe(16 * 16 * 3);
    const at = (x: number, y: number) => Array.from(rgb.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3));
    expect(at(1, 8)).toEqual([255, 0, 0]);
    expect(at(14, 8)).toEqual([0, 0, 255]);
  });

  it('decodes masks to one channel', async () => {
    const grey = await decodeInputImage(await halves(16, 16), {
      field: 'mask',
      width: 8,
      height: 8,
      channels: 1,
    });
    expect(grey.length).toBe(64);
  });

  it('flattens transparency onto white', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4); // fully transparent black
    const png = await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } })
      .png()
      .toBuffer();
    const rgb = await decodeInputImage(png, { field: 'image', width: 4, height: 4, channels: 3 });
    expect(Array.from(rgb.subarray(0, 3))).toEqual([255, 255, 255]);
  });

  it('rejects bytes that are not an image', async () => {
    const error = await decodeError(Buffer.from('definitely not an image, just some text'));
    expect(error.field).toBe('image');
    expect(error.message).toMatch(/not a PNG, JPEG or WebP/);
  });

  it('rejects formats the API does not accept, such as SVG', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
    );
    const error = await decodeError(svg);
    expect(error.message).toMatch(/is svg; only PNG, JPEG or WebP/);
  });

  it('accepts WebP', async () => {
    const webp = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0f0' } })
      .webp()
      .toBuffer();
    const rgb = await decodeInputImage(webp, { field: 'image', width: 8, height: 8, channels: 3 });
    expect(rgb[1]).toBeGreaterThan(200);
  });

  it('rejects an empty file', async () => {
    expect((await decodeError(new Uint8Array())).message).toMatch(/empty/);
  });

  it('refuses more pixels than the limit before decoding (decompression bombs)', async () => {
    // A 4000x4000 single-colour PNG is a few kB on disk but 48 MB decoded.
    const bomb = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(bomb.length).toBeLessThan(100_000);
    const error = await decodeError(bomb, 1000 * 1000);
    expect(error.message).toMatch(/more pixels than allowed/);
    expect(error.limit).toBe(1_000_000);
  });

  it.each(['png', 'jpeg'] as const)('rejects a truncated %s', async (format) => {
    const whole = await halves(64, 64, format);
    const error = await decodeError(whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(error.message).toMatch(/truncated or corrupt/);
  });
});

describe('resize as diffusers', () => {
  /** 128 x 64: a green quarter, a red half, a blue quarter, left to right. */
  async function stripes(): Promise<Buffer> {
    const width = 128;
    const height = 64;
    const rgb = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const colour = x < 32 ? [0, 255, 0] : x < 96 ? [255, 0, 0] : [0, 0, 255];
        rgb.set(colour, (y * width + x) * 3);
      }
    }
    return sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
  }

  it('stretches the whole image to the output size: nothing is cropped', async () => {
    const out = await decodeInputImage(await stripes(), {
      field: 'image',
      width: 64,
      height: 64,
      channels: 3,
    });
    const at = (x: number) => Array.from(out.subarray((32 * 64 + x) * 3, (32 * 64 + x) * 3 + 3));
    // A centre crop (the old behaviour) would start at the red half: column 4 would be red.
    expect(at(4)).toEqual([0, 255, 0]);
    expect(at(32)).toEqual([255, 0, 0]);
    expect(at(60)).toEqual([0, 0, 255]);
  });

  it('reads the size an image shows at from its header, EXIF orientation applied', async () => {
    expect(await inputImageSize(await stripes())).toEqual({ width: 128, height: 64 });
    const rotated = await sharp(await stripes())
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    expect(await inputImageSize(rotated)).toEqual({ width: 64, height: 128 });
    expect(await inputImageSize(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});

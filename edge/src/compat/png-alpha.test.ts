import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { greyPng, MAX_DECODED_BYTES, maskFromAlpha, readPngAlpha } from './png-alpha';

// Encoded by sharp (libspng/libpng), decoded by png-alpha.ts, and the reverse.
const W = 13;
const H = 7;
const transparentAt = (x: number, y: number) => (x + y) % 3 === 0;

function rgba(): Buffer {
  const out = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      out.set([x * 19, y * 30, 200, transparentAt(x, y) ? 0 : 255], (y * W + x) * 4);
  return out;
}

const expectedAlpha = () =>
  Array.from({ length: W * H }, (_, i) => (transparentAt(i % W, Math.floor(i / W)) ? 0 : 255));

describe('readPngAlpha', () => {
  it.each([
    ['RGBA 8-bit', (s: sharp.Sharp) => s.png()],
    ['RGBA 16-bit', (s: sharp.Sharp) => s.toColourspace('rgb16').png()],
    ['palette with tRNS', (s: sharp.Sharp) => s.png({ palette: true, colours: 64, dither: 0 })],
    ['grey + alpha', (s: sharp.Sharp) => s.toColourspace('b-w').png()],
  ])('reads the alpha of %s', async (_name, encode) => {
    const png = await encode(sharp(rgba(), { raw: { width: W, height: H, channels: 4 } })).toBuffer();
    const read = await readPngAlpha(new Uint8Array(png), 'mask');
    expect([read.width, read.height]).toEqual([W, H]);
    // The truth is what sharp decodes (quantizing a palette may move alpha off 255).
    const truth = await sharp(png).ensureAlpha().extractChannel(3).raw().toBuffer();
    expect(Array.from(read.alpha ?? [])).toEqual(Array.from(truth));
    expect(new Set(truth)).toEqual(new Set([0, 255]));
  });

  it('says null for an opaque RGB PNG and refuses what is not a PNG', async () => {
    const png = await sharp(Buffer.alloc(W * H * 3, 9), { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toBuffer();
    expect((await readPngAlpha(new Uint8Array(png), 'mask')).alpha).toBeNull();
    await expect(readPngAlpha(new Uint8Array([1, 2, 3]), 'mask')).rejects.toThrow(/mask: must be a PNG/);
  });

  it('refuses corrupt compressed data with a field error, not a crash', async () => {
    const png = await sharp(rgba(), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toBuffer();
    const broken = new Uint8Array(png);
    const idat = Buffer.from(png).indexOf('IDAT');
    broken.fill(0xff, idat + 6, idat + 20);
    await expect(readPngAlpha(broken, 'mask')).rejects.toThrow(/mask: PNG data/);
  });

  it('refuses a header that claims more pixels than allowed before allocating anything', async () => {
    const png = new Uint8Array(
      await sharp(rgba(), { raw: { width: W, height: H, channels: 4 } })
        .png()
        .toBuffer(),
    );
    // IHDR's width and height (bytes 16-23); the parser trusts no CRC to stop here.
    new DataView(png.buffer).setUint32(16, 8192);
    new DataView(png.buffer).setUint32(20, 8192);
    const used = process.memoryUsage().arrayBuffers;
    await expect(readPngAlpha(png, 'mask')).rejects.toThrow(/at most 4194304 pixels/);
    expect(process.memoryUsage().arrayBuffers - used).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('readPngAlpha: decoded size', () => {
  const clear = (depth: 'rgb16' | 'srgb') =>
    sharp({ create: { width: 2048, height: 2048, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .toColourspace(depth)
      .png()
      .toBuffer();

  it('refuses a few-KB 2048 x 2048 16-bit RGBA PNG (32 MiB of rows), naming the field and the limit, before allocating it', async () => {
    const png = new Uint8Array(await clear('rgb16'));
    expect(png.length).toBeLessThan(64 * 1024);
    const used = process.memoryUsage().arrayBuffers;
    const refused = await readPngAlpha(png, 'mask').then(
      () => null,
      (error: unknown) => error as { message: string; details?: { field: string; limit?: number }[] },
    );
    expect(process.memoryUsage().arrayBuffers - used).toBeLessThan(8 * 1024 * 1024);
    expect(refused?.message).toMatch(/^mask: .*at most 16779264 bytes/);
    expect(refused?.details?.[0]).toMatchObject({ field: 'mask', limit: MAX_DECODED_BYTES });
  });

  it('still reads 2048 x 2048 at 8-bit RGBA, the largest size allowed', async () => {
    const read = await readPngAlpha(new Uint8Array(await clear('srgb')), 'image');
    expect([read.width, read.height]).toEqual([2048, 2048]);
    expect(read.alpha?.every((a) => a === 0)).toBe(true);
  });
});

describe('maskFromAlpha', () => {
  it('writes white where the input was fully transparent, black elsewhere, as a PNG sharp reads', async () => {
    const png = await sharp(rgba(), { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toBuffer();
    const mask = await maskFromAlpha(await readPngAlpha(new Uint8Array(png), 'mask'));
    expect(mask?.transparentPixels).toBe(expectedAlpha().filter((a) => a === 0).length);
    const { data, info } = await sharp(Buffer.from(mask?.png as Uint8Array))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([W, H, 1]);
    expect(Array.from(data)).toEqual(expectedAlpha().map((a) => (a === 0 ? 255 : 0)));
  });

  it('greyPng round-trips through sharp', async () => {
    const grey = Uint8Array.from({ length: W * H }, (_, i) => (i * 7) % 256);
    const { data } = await sharp(Buffer.from(await greyPng(W, H, grey)))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual(Array.from(grey));
  });
});

/// <reference types="node" />
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImageInput } from './image-input';
import { imageSize } from './image-size';

const raw = (width: number, height: number) =>
  sharp(Buffer.alloc(width * height * 3, 128), { raw: { width, height, channels: 3 } });

describe('image headers', () => {
  it.each([
    ['png', () => raw(37, 23).png().toBuffer()],
    ['jpeg', () => raw(37, 23).jpeg().toBuffer()],
    ['jpeg (progressive)', () => raw(37, 23).jpeg({ progressive: true }).toBuffer()],
    ['webp (lossy)', () => raw(37, 23).webp().toBuffer()],
    ['webp (lossless)', () => raw(37, 23).webp({ lossless: true }).toBuffer()],
    [
      'webp (extended, alpha)',
      () =>
        sharp(Buffer.alloc(37 * 23 * 4, 200), { raw: { width: 37, height: 23, channels: 4 } })
          .webp()
          .toBuffer(),
    ],
  ])('reads the size of a %s without decoding it', async (_, make) => {
    const bytes = new Uint8Array(await make());
    const decoded = decodeImageInput('image', Buffer.from(bytes).toString('base64'));
    expect(imageSize(decoded.type, bytes)).toEqual({ width: 37, height: 23 });
    expect(decoded).toMatchObject({ width: 37, height: 23 });
  });

  it('refuses a file that is only a magic number', () => {
    const magicOnly = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');
    expect(() => decodeImageInput('mask', magicOnly)).toThrow(/mask: is not a readable PNG/);
  });
});

import { LIMITS } from '@ldm/shared';
import { fieldError } from '../errors/api-error';

/**
 * Just enough PNG for the OpenAI edit convention, where transparency marks the area to repaint:
 * read a PNG's alpha (colour types 4 and 6, palettes with tRNS; any bit depth, not interlaced) and
 * write the pipeline's greyscale mask (white = repaint). Workers have no image library, but they
 * have zlib streams (DecompressionStream('deflate') is the zlib format PNG uses).
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_SIDE = LIMITS.dimensionMax * 4;
/**
 * Most pixels of a PNG whose transparency is read here (2048 x 2048). Its decoded rows are held in
 * memory (8 bytes a pixel at 16-bit RGBA), and a Worker has 128 MB: a small file whose header
 * claims 8192 x 8192 must be refused before anything is allocated.
 */
export const MAX_ALPHA_PIXELS = LIMITS.dimensionMax * LIMITS.dimensionMax;
/**
 * Most bytes of decoded rows (filter bytes included): 2048 x 2048 at 8-bit RGBA, about 16 MiB.
 * The rows are inflated into one buffer of this size at most and unfiltered in place, so a
 * few-KB file whose header claims 2048 x 2048 at 16-bit RGBA (32 MiB of rows) is refused first.
 */
export const MAX_DECODED_BYTES = LIMITS.dimensionMax * (LIMITS.dimensionMax * 4 + 1);

export interface PngAlpha {
  width: number;
  height: number;
  /** One byte per pixel, 255 = opaque; null when the PNG has no transparency at all. */
  alpha: Uint8Array | null;
}

async function inflate(data: Uint8Array, maxBytes: number, field: string): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  const out = new Uint8Array(maxBytes);
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        await reader.cancel();
        throw fieldError(field, 'PNG data is longer than its header says');
      }
      out.set(value, size);
      size += value.byteLength;
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ApiError') throw error;
    throw fieldError(field, 'PNG data is corrupt (zlib)');
  }
  return out.subarray(0, size);
}

/**
 * Undoes the per-row filters (PNG spec, section 9) in place, so no second copy of the rows exists:
 * row y's samples stay at y * (rowBytes + 1) + 1, after its filter byte. Left to right and top to
 * bottom, each predictor reads bytes already unfiltered.
 */
function unfilterInPlace(data: Uint8Array, height: number, rowBytes: number, bpp: number, field: string) {
  const stride = rowBytes + 1;
  for (let y = 0; y < height; y++) {
    const type = data[y * stride];
    const row = y * stride + 1;
    const prior = row - stride;
    for (let x = 0; x < rowBytes; x++) {
      const a = x >= bpp ? data[row + x - bpp] : 0;
      const b = y > 0 ? data[prior + x] : 0;
      const c = x >= bpp && y > 0 ? data[prior + x - bpp] : 0;
      let predictor: number;
      switch (type) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw fieldError(field, `PNG row ${y} has an unknown filter type ${type}`);
      }
      data[row + x] = (data[row + x] + predictor) & 0xff;
    }
  }
}

export async function readPngAlpha(bytes: Uint8Array, field: string): Promise<PngAlpha> {
  if (!SIGNATURE.every((v, i) => bytes[i] === v))
    throw fieldError(field, 'must be a PNG (with transparency)', 'png');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | null =
    null;
  let transparency: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw fieldError(field, 'PNG is truncated');
    if (type === 'IHDR') {
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      header = {
        width: h.getUint32(0),
        height: h.getUint32(4),
        depth: body[8],
        colour: body[9],
        interlace: body[12],
      };
    } else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!header) throw fieldError(field, 'PNG has no IHDR header');
  const { width, height, depth, colour, interlace } = header;
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw fieldError(field, `image must be at most ${MAX_SIDE} pixels on each side`, MAX_SIDE);
  }
  const hasAlphaChannel = colour === 4 || colour === 6;
  if (!hasAlphaChannel && !(colour === 3 && transparency)) return { width, height, alpha: null };
  if (width * height > MAX_ALPHA_PIXELS) {
    throw fieldError(
      field,
      `a PNG with transparency may have at most ${MAX_ALPHA_PIXELS} pixels (2048 x 2048); this one has ${width * height}`,
      MAX_ALPHA_PIXELS,
    );
  }
  if (![1, 2, 4, 8, 16].includes(depth)) throw fieldError(field, `PNG bit depth ${depth} is not valid`);
  if (interlace !== 0)
    throw fieldError(field, 'interlaced PNGs are not supported; save it without interlacing');
  const channels = colour === 6 ? 4 : colour === 4 ? 2 : 1;
  const bitsPerPixel = channels * depth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const decodedBytes = height * (rowBytes + 1);
  if (decodedBytes > MAX_DECODED_BYTES) {
    throw fieldError(
      field,
      `a PNG with transparency may decode to at most ${MAX_DECODED_BYTES} bytes (2048 x 2048 at 8 bits per sample); this one decodes to ${decodedBytes}: save it with 8-bit samples or smaller`,
      MAX_DECODED_BYTES,
    );
  }
  const joined = new Uint8Array(idat.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of idat) {
    joined.set(part, at);
    at += part.length;
  }
  const rows = await inflate(joined, decodedBytes, field);
  if (rows.length !== decodedBytes) throw fieldError(field, 'PNG data is shorter than its header says');
  unfilterInPlace(rows, height, rowBytes, Math.max(1, bitsPerPixel >> 3), field);
  const alpha = new Uint8Array(width * height);
  const bytesPerSample = depth >> 3;
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1;
    for (let x = 0; x < width; x++) {
      if (hasAlphaChannel) {
        // The alpha sample's high byte is enough to tell transparent from not.
        alpha[y * width + x] = rows[row + (x * channels + channels - 1) * bytesPerSample];
      } else {
        const bit = x * depth;
        const index = (rows[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        alpha[y * width + x] =
          index < (transparency as Uint8Array).length ? (transparency as Uint8Array)[index] : 255;
      }
    }
  }
  return { width, height, alpha };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts) for (const byte of part) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  const name = new TextEncoder().encode(type);
  out.set(name, 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32([name, body]));
  return out;
}

/** An 8-bit greyscale PNG of `grey` (one byte per pixel). */
export async function greyPng(width: number, height: number, grey: Uint8Array): Promise<Uint8Array> {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const compressed = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk('IHDR', ihdr),
    chunk('IDAT', compressed),
    chunk('IEND', new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** OpenAI's convention (fully transparent = repaint) as the pipeline's mask (white = repaint); null when nothing is transparent. */
export async function maskFromAlpha(
  png: PngAlpha,
): Promise<{ png: Uint8Array; transparentPixels: number } | null> {
  if (!png.alpha) return null;
  const grey = new Uint8Array(png.alpha.length);
  let transparentPixels = 0;
  for (let i = 0; i < grey.length; i++) {
    if (png.alpha[i] === 0) {
      grey[i] = 255;
      transparentPixels++;
    }
  }
  if (transparentPixels === 0) return null;
  return { png: await greyPng(png.width, png.height, grey), transparentPixels };
}

import { LIMITS } from '@ldm/shared';
import sharp from 'sharp';
import { PipelineInputError } from '../pipeline/pipeline-input-error';

/**
 * Largest input accepted by default: the shared limit the edge checks too (4096 x 4096), so the
 * edge answers 422 for any image this would refuse. A bigger header is refused before any pixel is decoded.
 */
export const DEFAULT_MAX_INPUT_PIXELS = LIMITS.inputMaxPixels;

const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp']);

export interface DecodeOptions {
  /** Name of the request field, for errors ("image", "mask"). */
  field: string;
  width: number;
  height: number;
  maxPixels?: number;
  /** 1 channel (masks) or 3 (RGB). */
  channels: 1 | 3;
  /** The format a header read already found (readImageHeader), so the bytes are parsed once less. */
  format?: string;
}

/**
 * Decodes PNG/JPEG/WebP bytes with sharp, refusing decompression bombs (sharp checks
 * width x height from the header against `limitInputPixels`) and truncated files, applies
 * the EXIF orientation, flattens alpha onto white and resizes to the requested size as diffusers'
 * VaeImageProcessor does (the whole image, stretched if the aspect ratio differs; nothing cropped).
 */
export async function decodeInputImage(bytes: Uint8Array, options: DecodeOptions): Promise<Uint8Array> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  if (bytes.byteLength === 0) throw new PipelineInputError(options.field, 'is empty');
  try {
    // The API accepts these three; anything else sharp could decode (SVG, TIFF, HEIF, ...) is refused.
    const format = options.format ?? (await sharp(bytes, { limitInputPixels: maxPixels }).metadata()).format;
    if (!ACCEPTED_FORMATS.has(format)) {
      throw new PipelineInputError(options.field, `is ${format}; only PNG, JPEG or WebP images are accepted`);
    }
    let image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize(options.width, options.height, { fit: 'fill' });
    image = options.channels === 1 ? image.greyscale() : image.toColourspace('srgb');
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== options.channels) {
      // Greyscale output can come back with a spare channel on some inputs; keep the first.
      const out = new Uint8Array(options.width * options.height * options.channels);
      for (let i = 0, j = 0; i < out.length; i += options.channels, j += info.channels) {
        for (let c = 0; c < options.channels; c++) out[i + c] = data[j + Math.min(c, info.channels - 1)];
      }
      return out;
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (error) {
    if (error instanceof PipelineInputError) throw error;
    const message = (error as Error).message;
    const first = message.split('\n')[0];
    if (/pixel limit/i.test(message)) {
      throw new PipelineInputError(options.field, 'has more pixels than allowed', maxPixels);
    }
    if (/unsupported image format/i.test(message)) {
      throw new PipelineInputError(options.field, 'is not a PNG, JPEG or WebP image');
    }
    throw new PipelineInputError(options.field, `is truncated or corrupt (${first})`);
  }
}

/** What an image's header says: the size it shows at (EXIF orientation applied) and its format. */
export interface ImageHeader {
  width: number;
  height: number;
  format: string;
}

/** The header of an input image, without decoding a pixel; undefined for bytes sharp cannot read. */
export async function readImageHeader(
  bytes: Uint8Array,
  maxPixels = DEFAULT_MAX_INPUT_PIXELS,
): Promise<ImageHeader | undefined> {
  try {
    const { autoOrient, format } = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
    return autoOrient.width && autoOrient.height
      ? { width: autoOrient.width, height: autoOrient.height, format }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The size an input image shows at (EXIF orientation applied), from its header alone: the output
 * size img2img/inpaint default to. Undefined for bytes sharp cannot read; decoding reports those.
 */
export async function inputImageSize(
  bytes: Uint8Array,
  maxPixels = DEFAULT_MAX_INPUT_PIXELS,
): Promise<{ width: number; height: number } | undefined> {
  const header = await readImageHeader(bytes, maxPixels);
  return header && { width: header.width, height: header.height };
}

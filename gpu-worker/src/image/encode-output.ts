import sharp from 'sharp';
import { type GenerationMetadata, parametersText } from './generation-metadata';
import { addPngText } from './png-text';
import { generationXmp, readGenerationXmp } from './xmp';

// Outputs are small and encoded one at a time beside inference: libvips' worker threads cost
// more to wake than they save here (64x64 PNG: 0.9 ms with the default pool, 0.6 ms with one),
// and they would compete with onnxruntime for cores.
sharp.concurrency(1);

export type OutputFormat = 'png' | 'webp' | 'jpeg';

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
};

export interface EncodeImageOptions {
  format: OutputFormat;
  /** Written into the file: PNG text chunks, XMP for JPEG/WebP. */
  metadata?: GenerationMetadata;
  /** JPEG/WebP quality, 1-100 (default 92). */
  quality?: number;
}

/**
 * Interleaved 8-bit RGB -> PNG/WebP/JPEG with the generation parameters embedded: PNG gets
 * iTXt "parameters" (AUTOMATIC1111 text, which SD tools read) and "generation" (JSON);
 * JPEG and WebP get an XMP packet with both.
 */
export async function encodeImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  options: EncodeImageOptions,
): Promise<Buffer> {
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`rgb has ${rgb.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`);
  }
  let image = sharp(rgb, { raw: { width, height, channels: 3 } });
  const quality = options.quality ?? 92;
  const m = options.metadata;
  if (options.format === 'png') {
    const png = await image.png({ compressionLevel: 6 }).toBuffer();
    return m ? addPngText(png, { parameters: parametersText(m), generation: JSON.stringify(m) }) : png;
  }
  if (m) image = image.withXmp(generationXmp(m, parametersText(m)));
  return options.format === 'webp'
    ? image.webp({ quality }).toBuffer()
    : image.jpeg({ quality, mozjpeg: false }).toBuffer();
}

/** Reads back the parameters `encodeImage` wrote, from any of the three formats. */
export async function readImageMetadata(bytes: Uint8Array): Promise<GenerationMetadata | undefined> {
  const meta = await sharp(bytes).metadata();
  if (meta.format === 'png') {
    const json = meta.comments?.find((c) => c.keyword === 'generation')?.text;
    return json ? (JSON.parse(json) as GenerationMetadata) : undefined;
  }
  const xmp = meta.xmpAsString ?? meta.xmp?.toString('utf8');
  return xmp ? readGenerationXmp(xmp) : undefined;
}

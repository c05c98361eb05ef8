import { CONTENT_TYPES, OUTPUT_FORMATS } from '@ldm/shared';
import { sha256Hex } from '../../lib/crypto';

export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The folder of one lease's outputs: 16 hex digits of the lease token's SHA-256 (the token itself
 * stays out of object keys; it is the worker's credential while the lease lasts).
 */
export async function leaseSegment(leaseToken: string): Promise<string> {
  return (await sha256Hex(leaseToken)).slice(0, 16);
}

/**
 * `outputs/{account}/{job}/{lease}/{n}.{ext}` (DESIGN decision 3, one folder per lease), the
 * extension being the format's name. Each lease writes its own objects, so an upload that was
 * admitted under a lease which then expired, and lands after another attempt completed, can
 * never replace the bytes the completed job points at: outputs are immutable once a job names
 * them. The public URL (`/v1/outputs/{account}/{job}/{n}.{ext}`) does not change: it is
 * resolved through the job record.
 */
export function outputKey(
  accountId: string,
  jobId: string,
  lease: string,
  index: number,
  format: OutputFormat,
): string {
  return `outputs/${accountId}/${jobId}/${lease}/${index}.${format}`;
}

export function formatOfContentType(contentType: string | undefined): OutputFormat | undefined {
  const bare = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return OUTPUT_FORMATS.find((format) => CONTENT_TYPES[format] === bare);
}

/** First bytes of each format, so an upload that is not the image it claims is refused. */
export function looksLike(format: OutputFormat, head: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  switch (format) {
    case 'png':
      return (
        head.length >= 8 && head[0] === 0x89 && ascii(1, 4) === 'PNG' && head[4] === 0x0d && head[5] === 0x0a
      );
    case 'jpeg':
      return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
    case 'webp':
      return head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP';
  }
}

/** Bytes `looksLike` needs to decide. */
export const MAGIC_BYTES = 12;

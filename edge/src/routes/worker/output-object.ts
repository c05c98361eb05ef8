import { CONTENT_TYPES, OUTPUT_FORMATS } from '@ldm/shared';

export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** DESIGN decision 3: `outputs/{account}/{job}/{n}.{ext}`, the extension being the format's name. */
export function outputKey(accountId: string, jobId: string, index: number, format: OutputFormat): string {
  return `outputs/${accountId}/${jobId}/${index}.${format}`;
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

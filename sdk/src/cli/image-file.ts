import { readFileSync, statSync } from 'node:fs';
import { LIMITS } from '@ldm/shared';
import { UsageError } from './command';

const SIGNATURES: Array<{ type: string; test: (b: Buffer) => boolean }> = [
  {
    type: 'image/png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    type: 'image/webp',
    test: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
  },
];

/** An input image as the API takes it (a data URL), checked here so a wrong file fails before upload. */
export function imageFileToDataUrl(path: string, flag: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`${flag}: cannot read ${path}`);
  }
  if (size > LIMITS.imageMaxBytes) {
    throw new UsageError(`${flag}: ${path} is ${size} bytes (limit ${LIMITS.imageMaxBytes})`);
  }
  const bytes = readFileSync(path);
  const kind = SIGNATURES.find((s) => s.test(bytes));
  if (!kind) throw new UsageError(`${flag}: ${path} is not a PNG, JPEG or WebP image`);
  return `data:${kind.type};base64,${bytes.toString('base64')}`;
}

import { crc32 } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * PNG iTXt chunks (UTF-8 text; tEXt is Latin-1 only and prompts are not), inserted before
 * the first IDAT. sharp/libvips cannot write arbitrary PNG text, hence the manual chunk.
 */
export function addPngText(png: Buffer, entries: Record<string, string>): Buffer {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  const chunks = Object.entries(entries).map(([keyword, text]) => itxtChunk(keyword, text));
  const idat = findChunk(png, 'IDAT');
  if (idat < 0) throw new Error('PNG without IDAT');
  return Buffer.concat([png.subarray(0, idat), ...chunks, png.subarray(idat)]);
}

function itxtChunk(keyword: string, text: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`bad PNG text keyword ${keyword}`);
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, text
  const data = Buffer.concat([
    Buffer.from(keyword, 'latin1'),
    Buffer.from([0, 0, 0, 0, 0]),
    Buffer.from(text, 'utf8'),
  ]);
  const typeAndData = Buffer.concat([Buffer.from('iTXt', 'latin1'), data]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return chunk;
}

function findChunk(png: Buffer, wanted: string): number {
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === wanted) return at;
    at += 12 + length;
  }
  return -1;
}

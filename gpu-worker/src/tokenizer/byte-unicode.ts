/**
 * GPT-2/CLIP's reversible byte -> printable character table: printable Latin-1 bytes map to
 * themselves, the other 68 bytes to U+0100 onwards, so every UTF-8 byte sequence becomes a
 * string BPE can work on without whitespace or control characters.
 */
function buildTable(): string[] {
  const printable: number[] = [];
  const ranges: [number, number][] = [
    [0x21, 0x7e],
    [0xa1, 0xac],
    [0xae, 0xff],
  ];
  for (const [from, to] of ranges) for (let b = from; b <= to; b++) printable.push(b);
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) {
      table[b] = String.fromCharCode(256 + next);
      next += 1;
    }
  }
  return table;
}

export const BYTE_TO_UNICODE: readonly string[] = buildTable();

const utf8 = new TextEncoder();

export function bytesToUnicode(text: string): string {
  let out = '';
  for (const byte of utf8.encode(text)) out += BYTE_TO_UNICODE[byte];
  return out;
}

import { describe, expect, it } from 'vitest';
import { formatOfContentType, leaseSegment, looksLike, outputKey } from './output-object';

const bytes = (...values: (number | string)[]) =>
  new Uint8Array(values.flatMap((v) => (typeof v === 'string' ? [...v].map((ch) => ch.charCodeAt(0)) : [v])));

describe('output objects', () => {
  it('keys follow outputs/{account}/{job}/{lease}/{n}.{ext}, one folder per lease', async () => {
    expect(outputKey('acct_1', 'gen_1', 'abcd', 2, 'webp')).toBe('outputs/acct_1/gen_1/abcd/2.webp');
    const [a, b] = await Promise.all([leaseSegment('lt_first'), leaseSegment('lt_second')]);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    expect(a).toBe(await leaseSegment('lt_first'));
    expect(a).not.toContain('first');
  });

  it('maps content types to formats, ignoring parameters and case', () => {
    expect(formatOfContentType('image/png')).toBe('png');
    expect(formatOfContentType('Image/JPEG; q=0.9')).toBe('jpeg');
    expect(formatOfContentType('image/gif')).toBeUndefined();
    expect(formatOfContentType(undefined)).toBeUndefined();
  });

  it('recognises each format by its magic number and refuses the others', () => {
    const png = bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
    const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16, 'JFIF', 0, 1);
    const webp = bytes('RIFF', 0, 0, 0, 0, 'WEBP');
    expect([looksLike('png', png), looksLike('jpeg', jpeg), looksLike('webp', webp)]).toEqual([
      true,
      true,
      true,
    ]);
    expect([looksLike('png', jpeg), looksLike('jpeg', webp), looksLike('webp', png)]).toEqual([
      false,
      false,
      false,
    ]);
    expect(looksLike('png', bytes(0x89, 'PN'))).toBe(false);
  });
});

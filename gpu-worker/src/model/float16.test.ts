import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromHalfBits, toHalfBits } from './float16';

describe('float16 conversion', () => {
  it('encodes the IEEE 754 binary16 reference values', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [65520, 0x7c00], // rounds up to infinity
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
      [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal units: ties to even (2)
      [1 / 3, 0x3555],
      [0.1, 0x2e66],
    ];
    for (const [value, bits] of cases) expect([value, toHalfBits(value)]).toEqual([value, bits]);
    expect(toHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(Number.NaN) & 0x3ff).not.toBe(0);
  });

  it('rounds to nearest even between two halves', () => {
    // 1 + 2^-11 lies exactly between 1 (0x3c00) and 1 + 2^-10 (0x3c01): even wins.
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3 * 2^-11 lies between 0x3c01 and 0x3c02: even (0x3c02) wins.
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  it('round-trips every finite half exactly', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent !== 0x1f && toHalfBits(fromHalfBits(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('converts arrays both ways with at most half-precision error', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10);
    const back = float16ToFloat32(float32ToFloat16(values));
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11 + 2 ** -24);
    }
    expect(Array.from(float16ToFloat32(Uint16Array.from([0x7c00, 0xfc00, 0x0001])))).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** -24,
    ]);
  });
});

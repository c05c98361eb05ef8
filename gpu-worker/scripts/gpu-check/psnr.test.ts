import { describe, expect, it } from 'vitest';
import { psnr } from './psnr';

describe('psnr', () => {
  it('is infinite for identical images and 10·log10(255²/MSE) otherwise', () => {
    const a = new Uint8Array([0, 100, 200, 255]);
    expect(psnr(a, a.slice())).toBe(Number.POSITIVE_INFINITY);
    // One byte off by 4 in 4 bytes: MSE = 16 / 4 = 4.
    const b = new Uint8Array([0, 104, 200, 255]);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10((255 * 255) / 4), 10);
    expect(psnr(a, b)).toBeCloseTo(42.11, 2);
  });

  it('puts an RMS error of ~4.5 levels at the 35 dB threshold', () => {
    const a = new Uint8Array(1000).fill(128);
    const off4 = a.map((v) => v + 4);
    const off5 = a.map((v) => v + 5);
    expect(psnr(a, off4)).toBeGreaterThan(35);
    expect(psnr(a, off5)).toBeLessThan(35);
  });

  it('refuses images of different sizes', () => {
    expect(() => psnr(new Uint8Array(3), new Uint8Array(6))).toThrow(/differ in size/);
  });
});

import { describe, expect, it } from 'vitest';
import { planarToRgb, rgbToPlanar } from './pixels';

describe('planarToRgb', () => {
  it('interleaves the three planes and maps [-1, 1] to 0..255 with clamping', () => {
    // Two pixels; planes R = (-1, 1), G = (0, 2), B = (-3, NaN).
    const planar = new Float32Array([-1, 1, 0, 2, -3, Number.NaN]);
    expect([...planarToRgb(planar, 2, 1)]).toEqual([0, 128, 0, 255, 255, 0]);
  });

  it('rounds as numpy does in diffusers: 0 -> 127.5 -> 128; other values to the nearest', () => {
    const planar = new Float32Array(18); // six pixels; G and B planes 0
    planar.set([0, 0.2, -0.2, 0.999, -0.999, 0.5]);
    // (x / 2 + 0.5) * 255: 127.5, 153.0000004, 101.9999996, 254.87, 0.13, 191.25
    expect([...planarToRgb(planar, 6, 1).filter((_, i) => i % 3 === 0)]).toEqual([
      128, 153, 102, 255, 0, 191,
    ]);
  });

  it('agrees with the plain formula round(clamp((x + 1) / 2) * 255) on random values', () => {
    const n = 64 * 64;
    const planar = new Float32Array(3 * n);
    let state = 7;
    for (let i = 0; i < planar.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      planar[i] = (state / 2 ** 32) * 2.4 - 1.2;
    }
    const rgb = planarToRgb(planar, 64, 64);
    const differing: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const v = Math.min(1, Math.max(0, planar[c * n + i] / 2 + 0.5)) * 255;
        if (rgb[3 * i + c] !== Math.round(v)) differing.push(3 * i + c);
      }
    }
    expect(differing).toEqual([]);
  });

  it('inverts rgbToPlanar exactly for every 8-bit value', () => {
    const rgb = new Uint8Array(3 * 256).map((_, i) => Math.floor(i / 3));
    expect([...planarToRgb(rgbToPlanar(rgb, 256, 1), 256, 1)]).toEqual([...rgb]);
  });
});

import { describe, expect, it } from 'vitest';
import { gaussian, SeededRandom } from './index';

describe('SeededRandom', () => {
  it('reproduces a pinned stream, so saved seeds keep their images across releases and machines', () => {
    const random = new SeededRandom(42);
    const first = Array.from({ length: 4 }, () => random.nextUint32());
    // Pinned once from this implementation; any change to seeding or the generator breaks it.
    expect(first).toEqual(PINNED_UINT32_SEED_42);
  });

  it('gives different streams for neighbouring seeds and for seeds beyond 2^32', () => {
    const head = (seed: number) => new SeededRandom(seed).nextUint32();
    const values = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1].map(head);
    expect(new Set(values).size).toBe(values.length);
  });

  it('keeps uniforms in (0, 1]', () => {
    const random = new SeededRandom(3);
    for (let i = 0; i < 10_000; i++) {
      const u = random.nextOpenUnit();
      expect(u > 0 && u <= 1).toBe(true);
    }
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 53])
      expect(() => new SeededRandom(seed)).toThrow(RangeError);
  });
});

describe('gaussian (Box-Muller)', () => {
  it('has mean 0 and variance 1', () => {
    const n = gaussian(new SeededRandom(11), 200_000);
    let sum = 0;
    let squares = 0;
    for (const v of n) {
      sum += v;
      squares += v * v;
    }
    const mean = sum / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(squares / n.length - mean * mean - 1)).toBeLessThan(0.02);
  });

  it('is the same bytes for the same seed, also when drawn in pieces', () => {
    const whole = gaussian(new SeededRandom(5), 64);
    const random = new SeededRandom(5);
    const pieces = new Float32Array([...gaussian(random, 32), ...gaussian(random, 32)]);
    expect(Buffer.from(pieces.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
  });

  it('reproduces pinned samples', () => {
    expect(Array.from(gaussian(new SeededRandom(42), 4))).toEqual(PINNED_GAUSSIAN_SEED_42);
  });
});

const PINNED_UINT32_SEED_42 = [2837322924, 544945897, 479756282, 3500138142];
const PINNED_GAUSSIAN_SEED_42 = [
  0.6953712105751038, 0.5878986120223999, 2.2422637939453125, 0.21493089199066162,
];

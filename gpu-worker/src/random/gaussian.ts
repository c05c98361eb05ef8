import type { SeededRandom } from './seeded-random';

/**
 * Standard normal samples by the Box-Muller transform (both outputs of each pair used).
 * V8 computes Math.log/sqrt/cos/sin with its own fdlibm port, not the platform libm, so the
 * float64 results (and the float32 we store) are the same on every machine.
 */
export function fillGaussian(random: SeededRandom, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(random.nextOpenUnit()));
    const angle = 2 * Math.PI * random.nextOpenUnit();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

export function gaussian(random: SeededRandom, length: number): Float32Array {
  return fillGaussian(random, new Float32Array(length));
}

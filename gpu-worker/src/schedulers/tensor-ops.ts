import { SchedulerConfigError } from './errors';
import type { NoiseSource } from './types';

/**
 * Element-wise helpers shared by the schedulers: plain loops over Float32Array with the
 * coefficients hoisted, so a step costs one pass and at most one allocation.
 */

const f32 = Math.fround;

export function resultBuffer(out: Float32Array | undefined, length: number): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (out.length !== length) {
    throw new SchedulerConfigError(
      'out',
      `must have the sample's length ${length}, got ${out.length}`,
      length,
    );
  }
  return out;
}

export function checkSameLength(a: Float32Array, b: Float32Array, field: string): void {
  if (a.length !== b.length) {
    throw new SchedulerConfigError(
      field,
      `length ${b.length} does not match the sample's ${a.length}`,
      a.length,
    );
  }
}

/** Draw n normals from the caller's source; stochastic steps never fall back to Math.random. */
export function requireNoise(generator: NoiseSource | undefined, who: string, n: number): Float32Array {
  if (!generator)
    throw new SchedulerConfigError('generator', `${who} is stochastic and needs a noise source`);
  const noise = generator.randn(n);
  if (noise.length !== n)
    throw new SchedulerConfigError('generator', `returned ${noise.length} values, expected ${n}`);
  return noise;
}

/** q(x_t | x_0) of DDPM (Ho et al. 2020, eq. 4): sqrt(a) x_0 + sqrt(1 - a) eps. */
export function addNoiseAlphaBar(
  original: Float32Array,
  noise: Float32Array,
  alphaBar: number,
): Float32Array {
  checkSameLength(original, noise, 'noise');
  const sa = f32(Math.sqrt(alphaBar));
  const sb = f32(Math.sqrt(f32(1 - alphaBar)));
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = f32(sa * original[i]) + f32(sb * noise[i]);
  return out;
}

/** The same forward process in the variance-exploding (k-diffusion) form: x_0 + sigma eps. */
export function addNoiseSigma(original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  checkSameLength(original, noise, 'noise');
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = original[i] + f32(noise[i] * sigma);
  return out;
}

/** Divide by sqrt(sigma^2 + 1): the k-diffusion input scaling (Karras et al. 2022, Table 1, c_in). */
export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const denom = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
  const out = new Float32Array(sample.length);
  for (let i = 0; i < out.length; i++) out[i] = sample[i] / denom;
  return out;
}

import { npLinspace } from './timestep-spacing';

/**
 * Noise levels in the variance-exploding parametrisation used by the k-diffusion family
 * (Euler, Euler ancestral, DPM-Solver++): sigma_t = sqrt((1 - a_t) / a_t), so that
 * x_t / sqrt(a_t) = x_0 + sigma_t * eps (Karras et al. 2022, section 2).
 */

const f32 = Math.fround;

/** sigma for every training timestep, float32 as diffusers computes it. Ascending in t. */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  const out = new Float32Array(alphasCumprod.length);
  for (let i = 0; i < out.length; i++) {
    const a = alphasCumprod[i];
    out[i] = Math.sqrt(f32(f32(1 - a) / a));
  }
  return out;
}

/** log of a float32 array, rounded back to float32 (numpy's float32 log). */
export function logFloat32(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(values[i]);
  return out;
}

/** numpy.interp(x, arange(len(fp)), fp): linear interpolation on the integer grid. */
export function interpOnIndexGrid(x: number, fp: ArrayLike<number>): number {
  const last = fp.length - 1;
  if (x <= 0) return fp[0];
  if (x >= last) return fp[last];
  const j = Math.floor(x);
  if (j === x) return fp[j];
  const slope = fp[j + 1] - fp[j];
  return slope * (x - j) + fp[j];
}

/**
 * Karras et al. 2022, eq. 5: sigma_i = (s_max^(1/rho) + i/(N-1) (s_min^(1/rho) - s_max^(1/rho)))^rho,
 * rho = 7. Spends more steps at low noise than a uniform-in-t schedule.
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** Geometric spacing between sigma_max and sigma_min (diffusers' use_exponential_sigmas). */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  return npLinspace(Math.log(sigmaMax), Math.log(sigmaMin), n).map(Math.exp);
}

/**
 * Map a sigma back to a fractional training timestep by interpolating in log-sigma
 * (diffusers' `_sigma_to_t`), so the UNet is conditioned on the t that has this noise level.
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low];
  const hi = logSigmas[low + 1];
  let w = (lo - logSigma) / (lo - hi);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * low + w * (low + 1);
}

const f32 = Math.fround;

/**
 * The variance-preserving coefficients of a k-diffusion sigma, as diffusers' multistep solvers
 * (DPM-Solver++, DEIS, UniPC) derive them in float32: alpha_t = 1 / sqrt(sigma^2 + 1),
 * sigma_t = sigma * alpha_t (so x_t = alpha_t x0 + sigma_t eps) and the half log-SNR
 * lambda_t = log(alpha_t) - log(sigma_t).
 */
export interface VpCoefficients {
  alpha: number;
  sigma: number;
  lambda: number;
}

export function vpCoefficients(sigma: number): VpCoefficients {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1))));
  const sigmaT = f32(sigma * alpha);
  const lambda = f32(f32(Math.log(alpha)) - f32(Math.log(sigmaT)));
  return { alpha, sigma: sigmaT, lambda };
}

/** q(x_t | x_0) in that form: alpha_t x0 + sigma_t eps. */
export function addNoiseVp(original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  const { alpha, sigma: s } = vpCoefficients(sigma);
  const out = new Float32Array(original.length);
  for (let k = 0; k < out.length; k++) out[k] = f32(alpha * original[k]) + f32(s * noise[k]);
  return out;
}

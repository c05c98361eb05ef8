import type { PredictionType } from './config';

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

/**
 * The data prediction x0 from the model's output at coefficients `c` (diffusers'
 * convert_model_output of the multistep solvers): epsilon -> (x - sigma_t m) / alpha_t,
 * v -> alpha_t x - sigma_t m, sample -> m. Written into `recycled` when it has the sample's
 * length (a buffer the caller no longer needs), else into a new array.
 */
export function vpDataPrediction(
  predictionType: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  c: VpCoefficients,
  recycled: Float32Array | undefined,
): Float32Array {
  const x0 = recycled?.length === sample.length ? recycled : new Float32Array(sample.length);
  for (let k = 0; k < x0.length; k++) {
    const m = modelOutput[k];
    const x = sample[k];
    if (predictionType === 'epsilon') x0[k] = f32(f32(x - f32(c.sigma * m)) / c.alpha);
    else if (predictionType === 'v_prediction') x0[k] = f32(f32(c.alpha * x) - f32(c.sigma * m));
    else x0[k] = m;
  }
  return x0;
}

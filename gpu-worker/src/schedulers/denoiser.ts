import type { PredictionType } from './config';

const f32 = Math.fround;

/** The v-prediction factors of a sigma: vScale = -sigma / sqrt(sigma^2 + 1), vDenom = sigma^2 + 1, float32-rounded. */
export interface VPredictionScales {
  vScale: number;
  vDenom: number;
}

/** Computed once per step, as diffusers' sigma schedulers do (k-diffusion's c_out and c_skip denominators). */
export function vPredictionScales(sigma: number): VPredictionScales {
  const sigmaSq = f32(sigma * sigma);
  return { vScale: f32(-sigma / f32(Math.sqrt(f32(sigmaSq + 1)))), vDenom: f32(sigmaSq + 1) };
}

/**
 * The denoiser D(x; sigma) from the UNet's output `m` at one element, for each prediction type
 * (vScale = -sigma / sqrt(sigma^2 + 1), vDenom = sigma^2 + 1, both float32-rounded once per step).
 */
export function denoised(
  predictionType: PredictionType,
  x: number,
  m: number,
  sigma: number,
  vScale: number,
  vDenom: number,
): number {
  if (predictionType === 'epsilon') return f32(x - f32(sigma * m));
  if (predictionType === 'v_prediction') return f32(f32(m * vScale) + f32(x / vDenom));
  return m;
}

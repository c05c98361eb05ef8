/**
 * Classifier-free guidance (Ho & Salimans 2022, eq. 6): eps = eps_u + w (eps_c - eps_u).
 * Written in diffusers' form so w = 1 reproduces the conditional prediction.
 */
export function guide(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(cond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + scale * (cond[i] - uncond[i]);
  return out;
}

/** diffusers' `do_classifier_free_guidance`: at scale <= 1 the unconditional half is skipped. */
export function usesGuidance(scale: number): boolean {
  return scale > 1;
}

/**
 * diffusers' `rescale_noise_cfg` (Lin et al. 2024, "Common Diffusion Noise Schedules and
 * Sample Steps are Flawed", section 3.4): the guided prediction is rescaled so its standard
 * deviation is the text prediction's, then mixed with the unrescaled one by `rescale`.
 * Standard deviations are torch's default (unbiased, n - 1) over the whole image, in double
 * precision. Returns `guided` itself when `rescale` is 0.
 */
export function rescaleGuidance(guided: Float32Array, cond: Float32Array, rescale: number): Float32Array {
  if (rescale === 0) return guided;
  const ratio = standardDeviation(cond) / standardDeviation(guided);
  // A constant guided prediction has no spread to rescale: leave it as diffusers would not divide by 0.
  if (!Number.isFinite(ratio)) return guided;
  const out = new Float32Array(guided.length);
  for (let i = 0; i < out.length; i++) out[i] = rescale * (guided[i] * ratio) + (1 - rescale) * guided[i];
  return out;
}

function standardDeviation(values: Float32Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

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

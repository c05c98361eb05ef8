/** (height, width) or (top, left), in diffusers' tuple order. */
export type Pair = readonly [number, number];

/** The micro-conditioning fields of a request (absent = diffusers' default). */
export interface MicroConditioning {
  original_size?: Pair;
  crops_coords_top_left?: Pair;
  target_size?: Pair;
  negative_original_size?: Pair;
  negative_crops_coords_top_left?: Pair;
  negative_target_size?: Pair;
  aesthetic_score?: number;
  negative_aesthetic_score?: number;
}

/** diffusers' StableDiffusionXLImg2ImgPipeline defaults (refiners). */
export const DEFAULT_AESTHETIC_SCORE = 6.0;
export const DEFAULT_NEGATIVE_AESTHETIC_SCORE = 2.5;

/** Which diffusers pipeline's rules: StableDiffusionXLPipeline, or its Img2Img/Inpaint siblings (and refiners). */
export type TimeIdsRules = 'text-to-image' | 'image-to-image';

/**
 * `time_ids` of the conditional and unconditional rows, as diffusers builds them. Defaults:
 * original and target size = the output (height, width), crop (0, 0); the negative crop is
 * (0, 0) too, not the positive one (its own argument's default).
 * - text-to-image (`StableDiffusionXLPipeline`): original_size + crops_coords_top_left +
 *   target_size; the unconditional row differs only when both negative_original_size and
 *   negative_target_size are given, else it is the conditional row.
 * - image-to-image (`...Img2ImgPipeline`, `...InpaintPipeline`, a refiner's pass): the
 *   negative sizes default one by one to the positive ones; refiners
 *   (`requires_aesthetics_score`) end both rows in the aesthetic score (6.0 / 2.5) instead
 *   of the target size (5 values).
 */
export function addTimeIds(
  fields: MicroConditioning,
  output: { width: number; height: number },
  requiresAestheticsScore: boolean,
  rules: TimeIdsRules,
): { cond: Float32Array; uncond: Float32Array } {
  const size: Pair = [output.height, output.width];
  const original = fields.original_size ?? size;
  const crop = fields.crops_coords_top_left ?? [0, 0];
  const target = fields.target_size ?? size;
  const negCrop = fields.negative_crops_coords_top_left ?? [0, 0];
  if (rules === 'text-to-image' && !requiresAestheticsScore) {
    const cond = Float32Array.from([...original, ...crop, ...target]);
    const { negative_original_size: negOriginal, negative_target_size: negTarget } = fields;
    const uncond =
      negOriginal && negTarget ? Float32Array.from([...negOriginal, ...negCrop, ...negTarget]) : cond.slice();
    return { cond, uncond };
  }
  const negOriginal = fields.negative_original_size ?? original;
  const negTarget = fields.negative_target_size ?? target;
  if (requiresAestheticsScore) {
    return {
      cond: Float32Array.from([...original, ...crop, fields.aesthetic_score ?? DEFAULT_AESTHETIC_SCORE]),
      uncond: Float32Array.from([
        ...negOriginal,
        ...negCrop,
        fields.negative_aesthetic_score ?? DEFAULT_NEGATIVE_AESTHETIC_SCORE,
      ]),
    };
  }
  // Img2Img/Inpaint `_get_add_time_ids` without aesthetics: the negative row takes the POSITIVE
  // crop (`negative_original_size + crops_coords_top_left + negative_target_size`); the negative
  // crop is only read by the refiner branch above.
  return {
    cond: Float32Array.from([...original, ...crop, ...target]),
    uncond: Float32Array.from([...negOriginal, ...crop, ...negTarget]),
  };
}

/**
 * LCM's guidance embedding (diffusers' `get_guidance_scale_embedding`, the `timestep_cond` of
 * LCM-distilled UNets): w = (guidance_scale - 1) * 1000, then sin and cos of w times
 * exp(-i * ln(10000) / (dim / 2 - 1)) for i < dim / 2, in float32 as torch computes it, zero
 * padded to an odd dim.
 */
export function guidanceScaleEmbedding(guidanceScale: number, dim: number): Float32Array {
  const f = Math.fround;
  const w = f(f(guidanceScale - 1) * 1000);
  const half = Math.floor(dim / 2);
  const step = f(f(Math.log(10000)) / (half - 1));
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const arg = f(w * f(Math.exp(f(-i * step))));
    out[i] = Math.sin(arg);
    out[half + i] = Math.cos(arg);
  }
  return out;
}

import { type JobInput, SDXL_CONDITIONING_FIELDS } from '@ldm/shared';
import { sha256Hex } from '../lib/crypto';

/**
 * The noise every worker of this build draws: `torch.randn` on a CPU generator seeded by the
 * request's seed (DESIGN decision 10). It is part of what a seed means, so a build that changed
 * it must not be answered from outputs drawn with the old one: change this name with it.
 */
export const NOISE_SOURCE = 'torch_cpu_randn';

/**
 * Whose cache a fingerprint belongs to. A cache entry and a coalesced job are one account's, and
 * test-mode work (free, DESIGN decision 4) never answers live requests nor the reverse: a test
 * key must not fetch live outputs for free, and a live request must not be billed for outputs a
 * free test job made.
 */
export interface CacheScope {
  accountId: string;
  livemode: boolean;
}

/**
 * The cache fingerprint of a seeded request (DESIGN decision 6): its scope (account and mode),
 * model version, noise source and every generation parameter, in a fixed key order, with input
 * images by content digest (their storage keys differ per job). Both the result cache
 * (`fp:done:`) and coalescing (`fp:live:`) are keyed by it, so neither crosses accounts or modes.
 */
export async function fingerprintOf(
  input: JobInput,
  images: { image_sha256?: string; mask_sha256?: string },
  scope: CacheScope,
): Promise<string> {
  const canonical = {
    account_id: scope.accountId,
    livemode: scope.livemode,
    model_version: input.model_version,
    noise_source: NOISE_SOURCE,
    model: input.model,
    task: input.task,
    prompt: input.prompt,
    negative_prompt: input.negative_prompt,
    width: input.width,
    height: input.height,
    steps: input.steps,
    guidance_scale: input.guidance_scale,
    scheduler: input.scheduler,
    // Always present, so no fingerprint of a torch-noise job equals one from before the field
    // existed (those images came from the xoshiro128 generator).
    use_karras_sigmas: input.use_karras_sigmas ?? false,
    rng: input.rng ?? 'torch',
    seed: input.seed,
    num_outputs: input.num_outputs,
    output_format: input.output_format,
    strength: input.task === 'txt2img' ? null : input.strength,
    image_sha256: images.image_sha256 ?? null,
    mask_sha256: images.mask_sha256 ?? null,
    // Only when set, so fingerprints of requests without them stay what they were.
    ...(input.guidance_rescale ? { guidance_rescale: input.guidance_rescale } : {}),
    ...(input.clip_skip ? { clip_skip: input.clip_skip } : {}),
    ...(input.refiner
      ? { refiner: input.refiner, refiner_version: input.refiner_version, denoising_end: input.denoising_end }
      : {}),
    // SDXL micro-conditioning, only the fields given (absent = the model's default).
    ...Object.fromEntries(
      SDXL_CONDITIONING_FIELDS.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]),
    ),
    // A cached image made under another account's safety mode must not be served here.
    ...(input.safety_checker ? { safety_checker: input.safety_checker } : {}),
    // Upscaling fields only when set, so the fingerprints of other requests stay what they were.
    ...(input.noise_level === undefined ? {} : { noise_level: input.noise_level }),
    ...(input.upscale === undefined
      ? {}
      : {
          upscale: input.upscale,
          upscaler: input.upscaler ?? null,
          upscaler_version: input.upscaler_version ?? null,
          upscaler_steps: input.upscaler_steps ?? null,
          upscaler_guidance_scale: input.upscaler_guidance_scale ?? null,
        }),
  };
  return sha256Hex(JSON.stringify(canonical));
}

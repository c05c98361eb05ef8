import type { JobInput } from '@ldm/shared';
import { sha256Hex } from '../lib/crypto';

/**
 * The cache fingerprint of a seeded request: model version and every generation parameter, in a
 * fixed key order, with input images by content digest (their storage keys differ per job).
 */
export async function fingerprintOf(
  input: JobInput,
  images: { image_sha256?: string; mask_sha256?: string },
): Promise<string> {
  const canonical = {
    model_version: input.model_version,
    model: input.model,
    task: input.task,
    prompt: input.prompt,
    negative_prompt: input.negative_prompt,
    width: input.width,
    height: input.height,
    steps: input.steps,
    guidance_scale: input.guidance_scale,
    scheduler: input.scheduler,
    seed: input.seed,
    num_outputs: input.num_outputs,
    output_format: input.output_format,
    strength: input.task === 'txt2img' ? null : input.strength,
    image_sha256: images.image_sha256 ?? null,
    mask_sha256: images.mask_sha256 ?? null,
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

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
  };
  return sha256Hex(JSON.stringify(canonical));
}

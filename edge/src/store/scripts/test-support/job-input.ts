import type { JobInput } from '@ldm/shared';

/**
 * A small valid txt2img job input for tests (64 px, demo model): `overrides` replace any field;
 * `model_version` follows the model unless given.
 */
export function txt2imgJobInput(overrides: Partial<JobInput> = {}): JobInput {
  const model = overrides.model ?? 'demo-shapes';
  return {
    model,
    model_version: `${model}-v1`,
    task: 'txt2img',
    prompt: 'a red circle',
    negative_prompt: '',
    width: 64,
    height: 64,
    steps: 20,
    guidance_scale: 5,
    scheduler: 'ddim',
    seed: 42,
    num_outputs: 1,
    output_format: 'png',
    strength: 0.8,
    ...overrides,
  };
}

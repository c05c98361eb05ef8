import type { StandaloneRequest } from '../../src/index';

export interface CheckCase {
  name: string;
  request: StandaloneRequest;
}

/** The schedulers the check runs: a deterministic one, an ancestral one (noise every step), a multistep one. */
export const CHECK_SCHEDULERS = ['ddim', 'euler_ancestral', 'dpmpp_2m'] as const;

export const CHECK_PROMPT = 'a red circle in the top left on a blue background';

/**
 * txt2img and img2img under each scheduler, with fixed seeds, at the model's native size. The
 * img2img source is an image both providers receive byte for byte (made once on the CPU), so
 * only the providers' arithmetic differs.
 */
export function checkCases(steps: number, img2imgSource: Uint8Array): CheckCase[] {
  const cases: CheckCase[] = [];
  for (const [i, scheduler] of CHECK_SCHEDULERS.entries()) {
    const base = { prompt: CHECK_PROMPT, steps, scheduler, guidance_scale: 7.5, num_outputs: 1 };
    cases.push({ name: `txt2img ${scheduler}`, request: { ...base, task: 'txt2img', seed: 1000 + i } });
    cases.push({
      name: `img2img ${scheduler}`,
      request: {
        ...base,
        prompt: 'a white triangle in the bottom right on a green background',
        task: 'img2img',
        image: img2imgSource,
        strength: 0.6,
        seed: 2000 + i,
      },
    });
  }
  return cases;
}

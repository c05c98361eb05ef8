import type { JobInput } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint';

const input: JobInput = {
  model: 'demo-shapes',
  model_version: 'demo-shapes-v1',
  task: 'txt2img',
  prompt: 'a red circle',
  negative_prompt: '',
  width: 64,
  height: 64,
  steps: 20,
  guidance_scale: 5,
  scheduler: 'euler',
  seed: 42,
  num_outputs: 1,
  output_format: 'png',
  strength: 0.8,
};

describe('fingerprintOf', () => {
  it('tells the noise source and Karras sigmas apart (they change the image)', async () => {
    const of = (extra: Partial<JobInput>) => fingerprintOf({ ...input, ...extra }, {});
    const torch = await of({ rng: 'torch' });
    expect(await of({ rng: 'xoshiro128' })).not.toBe(torch);
    expect(await of({ rng: 'torch', use_karras_sigmas: true })).not.toBe(torch);
  });

  it('reads absent fields as their defaults (torch, no Karras sigmas)', async () => {
    expect(await fingerprintOf(input, {})).toBe(
      await fingerprintOf({ ...input, rng: 'torch', use_karras_sigmas: false }, {}),
    );
  });
});

import type { JobInput } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint';

const input: JobInput = {
  model: 'demo-shapes',
  model_version: 'v1',
  task: 'txt2img',
  prompt: 'a red circle',
  negative_prompt: '',
  width: 64,
  height: 64,
  steps: 20,
  guidance_scale: 7.5,
  scheduler: 'ddim',
  seed: 1,
  num_outputs: 1,
  output_format: 'png',
  strength: 1,
};

const scope = { accountId: 'acct_a', livemode: true };

describe('fingerprintOf: guidance_rescale and clip_skip', () => {
  it('changes with them, and is unchanged when they are absent or 0', async () => {
    const plain = await fingerprintOf(input, {}, scope);
    expect(await fingerprintOf({ ...input, guidance_rescale: 0, clip_skip: 0 }, {}, scope)).toBe(plain);
    const rescaled = await fingerprintOf({ ...input, guidance_rescale: 0.7 }, {}, scope);
    const skipped = await fingerprintOf({ ...input, clip_skip: 1 }, {}, scope);
    expect(new Set([plain, rescaled, skipped]).size).toBe(3);
  });
});

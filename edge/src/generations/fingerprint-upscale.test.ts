import type { JobInput } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './fingerprint';

const txt2img: JobInput = {
  model: 'demo-shapes',
  model_version: 'v1',
  task: 'txt2img',
  prompt: 'a red circle',
  negative_prompt: '',
  width: 64,
  height: 64,
  steps: 20,
  guidance_scale: 5,
  scheduler: 'dpmpp_2m',
  seed: 1,
  num_outputs: 1,
  output_format: 'png',
  strength: 1,
};

const scope = { accountId: 'acct_a', livemode: true };

describe('cache fingerprint of upscaling requests', () => {
  it('differs by noise_level, by upscale and by the upscaler version; and from the plain request', async () => {
    const plain = await fingerprintOf(txt2img, {}, scope);
    const upscale = { ...txt2img, task: 'upscale' as const, model: 'demo-upscaler' };
    const at20 = await fingerprintOf({ ...upscale, noise_level: 20 }, { image_sha256: 'a' }, scope);
    const at30 = await fingerprintOf({ ...upscale, noise_level: 30 }, { image_sha256: 'a' }, scope);
    expect(at20).not.toBe(at30);
    const chained = {
      ...txt2img,
      upscale: 4 as const,
      noise_level: 20,
      upscaler: 'demo-upscaler',
      upscaler_steps: 20,
    };
    const v1 = await fingerprintOf({ ...chained, upscaler_version: 'u1' }, {}, scope);
    const v2 = await fingerprintOf({ ...chained, upscaler_version: 'u2' }, {}, scope);
    expect(new Set([plain, v1, v2]).size).toBe(3);
  });
});

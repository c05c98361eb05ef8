import { describe, expect, it } from 'vitest';
import { GenerationRequest } from './generation';

function issuesOf(input: unknown) {
  const result = GenerationRequest.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('GenerationRequest', () => {
  it('fills defaults for a minimal txt2img request', () => {
    const req = GenerationRequest.parse({ prompt: 'a red circle' });
    expect(req).toMatchObject({ task: 'txt2img', num_outputs: 1, output_format: 'png' });
    // Task-dependent defaults (strength, size from the input image) are resolveRequest's.
    expect(req.strength).toBeUndefined();
    expect(req.webhook_events_filter).toEqual(['start', 'completed']);
    // A seed means what it means in diffusers unless the caller asks for the earlier generator.
    expect(req).toMatchObject({ rng: 'torch', use_karras_sigmas: false });
  });

  it('accepts Karras sigmas for the schedulers that have them, and the earlier generator by name', () => {
    for (const scheduler of ['euler', 'dpmpp_2m', 'dpmpp_2m_sde', 'lms', 'heun', 'kdpm2', 'deis', 'unipc']) {
      expect(issuesOf({ prompt: 'x', scheduler, use_karras_sigmas: true }), scheduler).toEqual([]);
    }
    expect(GenerationRequest.parse({ prompt: 'x', rng: 'xoshiro128' }).rng).toBe('xoshiro128');
  });

  it.each([
    [{ prompt: 'x', width: 100 }, 'width'],
    [{ prompt: 'x', height: 4096 }, 'height'],
    [{ prompt: 'x', steps: 0 }, 'steps'],
    [{ prompt: 'x', num_outputs: 5 }, 'num_outputs'],
    [{ prompt: 'x', scheduler: 'dpm_adaptive' }, 'scheduler'],
    [{ prompt: 'x', scheduler: 'ddim', use_karras_sigmas: true }, 'use_karras_sigmas'],
    [{ prompt: 'x', use_karras_sigmas: 'yes' }, 'use_karras_sigmas'],
    [{ prompt: 'x', rng: 'philox' }, 'rng'],
    [{ prompt: 'x', seed: -1 }, 'seed'],
    [{ prompt: 'x', webhook: 'ftp://example.com/x' }, 'webhook'],
    [{ prompt: 'x', extra: 1 }, ''],
    [{ prompt: '' }, 'prompt'],
    [{ task: 'img2img', prompt: 'x' }, 'image'],
    [{ task: 'inpaint', prompt: 'x', image: 'aGVsbG8=' }, 'mask'],
    [{ prompt: 'x', mask: 'aGVsbG8=' }, 'mask'],
  ])('rejects %j naming %s', (input, field) => {
    expect(issuesOf(input)).toContain(field);
  });
});

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
  });

  it.each([
    [{ prompt: 'x', width: 100 }, 'width'],
    [{ prompt: 'x', height: 4096 }, 'height'],
    [{ prompt: 'x', steps: 0 }, 'steps'],
    [{ prompt: 'x', num_outputs: 5 }, 'num_outputs'],
    [{ prompt: 'x', scheduler: 'heun' }, 'scheduler'],
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

import { describe, expect, it } from 'vitest';
import { GenerationCanceledError, PipelineInputError } from '../index';
import { classifyFailure, InputImageError, ModelNotLoadedError, redactPrompts } from './failure';

describe('failure classification', () => {
  it.each([
    [new PipelineInputError('image', 'cannot be decoded'), 'invalid_input_image', false],
    [new PipelineInputError('mask', 'is 10x10, expected 64x64'), 'invalid_input_image', false],
    [new InputImageError('image: 404 not_found'), 'invalid_input_image', false],
    [new PipelineInputError('width', 'must be a multiple of 8'), 'model_error', false],
    [
      new Error('[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory'),
      'out_of_memory',
      true,
    ],
    [new Error('std::bad_alloc'), 'out_of_memory', true],
    [new Error('Non-zero status code returned while running Conv node.'), 'model_error', true],
    [new ModelNotLoadedError('sdxl'), 'model_not_loaded', true],
    [new TypeError('x is undefined'), 'internal_error', true],
  ])('%s -> %s (retryable %s)', (error, code, retryable) => {
    expect(classifyFailure(error)).toMatchObject({ code, retryable });
  });

  it('keeps the message, bounded for the fail call', () => {
    const failure = classifyFailure(new Error('x'.repeat(5_000)));
    expect(failure.message).toHaveLength(2_000);
    expect(classifyFailure(new GenerationCanceledError(3)).message).toContain('before step 4');
  });

  it("cuts the jobs' prompts out of a failure text (it goes to logs and the admin API)", () => {
    const prompt = 'a portrait of my neighbour Alice';
    const text = `TokenizerError: cannot encode "${prompt}" at position 12`;
    expect(redactPrompts(text, [prompt, ''])).toBe('TokenizerError: cannot encode "[prompt]" at position 12');
    expect(redactPrompts('model error', [prompt])).toBe('model error');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINAL_NORM, HIDDEN } from '../../test-fixtures/tiny-models';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { type LatentDiffusionPipeline, loadPipeline } from '../pipeline/pipeline';
import { PipelineInputError } from '../pipeline/pipeline-input-error';
import { resolveAndGenerate } from '../pipeline/standalone';
import { RunClock } from './run-clock';

let root: string;
let withStates: LatentDiffusionPipeline;
let plain: LatentDiffusionPipeline;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-clip-skip-'));
  withStates = await loadPipeline(await writeTinyModel(join(root, 'states'), { textEncoderHiddenLayers: 3 }));
  plain = await loadPipeline(await writeTinyModel(join(root, 'plain')));
});

afterAll(async () => {
  await withStates?.release();
  await plain?.release();
  await rm(root, { recursive: true, force: true });
});

const textEncoder = (p: LatentDiffusionPipeline) =>
  (p as unknown as { model: { textEncoder: import('./text-encoder').TextEncoderModel } }).model.textEncoder;

/** LayerNorm with the fixture's gamma and beta, computed here in double precision. */
function finalNorm(states: Float32Array): Float64Array {
  const out = new Float64Array(states.length);
  for (let row = 0; row < states.length; row += HIDDEN) {
    const x = Array.from(states.subarray(row, row + HIDDEN));
    const mean = x.reduce((a, b) => a + b, 0) / HIDDEN;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / HIDDEN;
    x.forEach((v, h) => {
      out[row + h] =
        FINAL_NORM.gamma[h] * ((v - mean) / Math.sqrt(variance + FINAL_NORM.epsilon)) + FINAL_NORM.beta[h];
    });
  }
  return out;
}

describe('clip_skip', () => {
  it('reads hidden_states.0..N from the export: clip_skip up to N', () => {
    expect(withStates.info.clipSkipMax).toBe(3);
    expect(plain.info.clipSkipMax).toBe(0);
  });

  it('clip_skip k = the final layer norm of hidden_states[N - k], within 1e-5 of a direct computation', async () => {
    const encoder = textEncoder(withStates);
    const ids = [49406, 320, 2368, 49407, ...Array(73).fill(49407)];
    const raw = await encoder.session.run(
      { input_ids: new (await import('onnxruntime-node')).Tensor('int32', Int32Array.from(ids), [1, 77]) },
      ['hidden_states.2', 'hidden_states.0', 'last_hidden_state'],
    );
    const data = (name: string) => (raw[name] as ort.Tensor).data as Float32Array;
    const clock = new RunClock();
    const skip0 = await encoder.encode(ids, clock, 0);
    expect(Array.from(skip0.data)).toEqual(Array.from(data('last_hidden_state')));
    for (const [k, layer] of [
      [1, 'hidden_states.2'],
      [3, 'hidden_states.0'],
    ] as const) {
      const skipped = await encoder.encode(ids, clock, k);
      const expected = finalNorm(data(layer));
      const error = Math.max(...Array.from(skipped.data, (v, i) => Math.abs(v - expected[i])));
      expect(error).toBeLessThan(1e-5);
      // Not a no-op: the penultimate layer's norm differs from the last one.
      expect(Math.max(...Array.from(skipped.data, (v, i) => Math.abs(v - skip0.data[i])))).toBeGreaterThan(
        0.01,
      );
    }
  });

  it('changes the image, and the prompt cache keeps the two embeddings apart', async () => {
    const request = { prompt: 'a cat', seed: 1, steps: 3, scheduler: 'ddim' };
    const a = await resolveAndGenerate(withStates, request);
    const b = await resolveAndGenerate(withStates, { ...request, clip_skip: 1 });
    const again = await resolveAndGenerate(withStates, request);
    expect(Buffer.from(a.images[0].rgb).equals(Buffer.from(b.images[0].rgb))).toBe(false);
    expect(Buffer.from(a.images[0].rgb).equals(Buffer.from(again.images[0].rgb))).toBe(true);
    expect(b.request.clip_skip).toBe(1);
  });

  it('is a 422 naming the model on an export without hidden states, and the limit past N', async () => {
    const request = await plain.resolve({ prompt: 'a cat', clip_skip: 1 });
    expect(() => plain.check(request)).toThrow(PipelineInputError);
    expect(() => plain.check(request)).toThrow(
      "clip_skip: model plain's text encoder export has no hidden_states outputs (export it with output_hidden_states) (limit: 0)",
    );
    const tooMany = await withStates.resolve({ prompt: 'a cat', clip_skip: 4 });
    expect(() => withStates.check(tooMany)).toThrow(
      /clip_skip: model states's text encoder has 3 layers, got 4 \(limit: 3\)/,
    );
  });
});

describe('guidance_rescale through the pipeline', () => {
  it('0 is plain CFG (same bytes as without the field), 0.7 changes the image, 1.5 is a 422', async () => {
    const request = { prompt: 'a cat', negative_prompt: 'a dog', seed: 2, steps: 3, scheduler: 'ddim' };
    const none = await resolveAndGenerate(plain, request);
    const zero = await resolveAndGenerate(plain, { ...request, guidance_rescale: 0 });
    const rescaled = await resolveAndGenerate(plain, { ...request, guidance_rescale: 0.7 });
    expect(Buffer.from(zero.images[0].rgb).equals(Buffer.from(none.images[0].rgb))).toBe(true);
    expect(Buffer.from(rescaled.images[0].rgb).equals(Buffer.from(none.images[0].rgb))).toBe(false);
    const bad = await plain.resolve({ ...request, guidance_rescale: 1.5 });
    expect(() => plain.check(bad)).toThrow('guidance_rescale: must be in [0, 1], got 1.5 (limit: 1)');
  });
});

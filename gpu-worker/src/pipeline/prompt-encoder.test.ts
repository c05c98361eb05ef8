import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { type LoadedModel, loadModel } from '../model/load-model';
import { RunClock } from '../model/run-clock';
import { PipelineInputError } from './pipeline-input-error';
import { PromptEncoder } from './prompt-encoder';
import { emptyTimings } from './timings';

let dir: string;
let model: LoadedModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-prompts-'));
  model = await loadModel(await writeTinyModel(join(dir, 'm')));
});

afterAll(async () => {
  await model?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('PromptEncoder', () => {
  it('encodes to [77, hidden] and keeps recent prompts (least recently used goes first)', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder, 2);
    const clock = new RunClock();
    const a = await encoder.encode('a', clock, emptyTimings());
    expect([a.sequence, a.hidden, a.data.length]).toEqual([77, 8, 77 * 8]);
    await encoder.encode('b', clock, emptyTimings());
    expect(clock.runs).toBe(2);
    expect(await encoder.encode('a', clock, emptyTimings())).toBe(a); // hit; 'a' is now the most recent
    await encoder.encode('c', clock, emptyTimings()); // evicts 'b'
    expect(clock.runs).toBe(3);
    expect(await encoder.encode('a', clock, emptyTimings())).toBe(a);
    await encoder.encode('b', clock, emptyTimings());
    expect(clock.runs).toBe(4);
  });

  it('runs the text encoder every time with capacity 0', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder, 0);
    const clock = new RunClock();
    const first = await encoder.encode('same', clock, emptyTimings());
    const second = await encoder.encode('same', clock, emptyTimings());
    expect(clock.runs).toBe(2);
    expect(Buffer.from(first.data.buffer).equals(Buffer.from(second.data.buffer))).toBe(true);
  });

  it('splits a long prompt into chunks of 75 tokens, each framed, padded and encoded alone', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder, 0);
    const clock = new RunClock();
    const long = await encoder.encode(words(80), clock, emptyTimings());
    expect([long.chunks, long.sequence, long.tokenCount, long.truncated]).toEqual([2, 154, 80, false]);
    expect(clock.runs).toBe(2);
    const cat = model.tokenizer.tokenizeWeighted([{ text: 'cat', weight: 1 }]).ids[0];
    const { bos, eos, pad } = model.tokenizer.special;
    const first = [bos, ...Array(75).fill(cat), eos];
    const second = [bos, ...Array(5).fill(cat), eos, ...Array(70).fill(pad)];
    const direct = new Float32Array([
      ...(await model.textEncoder.encode(first, clock)).data,
      ...(await model.textEncoder.encode(second, clock)).data,
    ]);
    expect(bytes(long.data).equals(bytes(direct))).toBe(true);
    // 75 tokens are still one chunk, the same ids as before chunking existed.
    const exact = await encoder.encode(words(75), clock, emptyTimings());
    expect(exact.chunks).toBe(1);
    expect(model.tokenizer.encode(words(75)).ids).toEqual(first);
  });

  it('rejects more tokens than LIMITS.promptMaxTokens, naming the field and the limit', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder);
    await expect(encoder.encode(words(300), new RunClock(), emptyTimings())).resolves.toMatchObject({
      chunks: 4,
    });
    const error = await encoder
      .encode(words(301), new RunClock(), emptyTimings(), 'negative_prompt')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineInputError);
    expect(error).toMatchObject({ field: 'negative_prompt', limit: 300, status: 422 });
    expect((error as Error).message).toBe('negative_prompt: has 301 tokens; at most 300 (limit: 300)');
  });

  it('answers a malformed weight with a 422 naming the field and the position', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder);
    const error = await encoder
      .encode('a (cat:1.2.3)', new RunClock(), emptyTimings(), 'prompt')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'prompt', status: 422 });
    expect((error as Error).message).toBe('prompt: weight "1.2.3" is not a decimal number at character 7');
  });

  it('weights scale the token rows, then the chunk is rescaled to its original mean (A1111)', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder, 0);
    const clock = new RunClock();
    const plain = await encoder.encode('a cat', clock, emptyTimings());
    const weighted = await encoder.encode('a (cat:1.5)', clock, emptyTimings());
    const hidden = plain.hidden;
    // By hand: row 2 ("cat"; row 0 is <start>) times 1.5, then everything times sum(before) / sum(after).
    const expected = Float64Array.from(plain.data);
    const before = expected.reduce((a, b) => a + b, 0);
    for (let h = 0; h < hidden; h++) expected[2 * hidden + h] *= 1.5;
    const after = expected.reduce((a, b) => a + b, 0);
    const ratio = before / after;
    expect(ratio).not.toBeCloseTo(1, 3);
    let maxError = 0;
    for (let i = 0; i < expected.length; i++) {
      maxError = Math.max(maxError, Math.abs(expected[i] * ratio - weighted.data[i]));
    }
    expect(maxError).toBeLessThan(1e-6);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;
    expect(mean(weighted.data)).toBeCloseTo(mean(plain.data), 6);
    // Weight 1, nested brackets that cancel, and escaped brackets of text that has none.
    expect(
      bytes((await encoder.encode('a (cat:1)', clock, emptyTimings())).data).equals(bytes(plain.data)),
    ).toBe(true);
    const cancelled = await encoder.encode('a [(cat:1.1)]', clock, emptyTimings());
    expect(Math.max(...cancelled.data.map((v, i) => Math.abs(v - plain.data[i])))).toBeLessThan(1e-6);
    const escaped = await encoder.encode('a \\(cat\\)', clock, emptyTimings());
    const literal = model.tokenizer.encode('a (cat)').ids;
    expect(bytes(escaped.data).equals(bytes((await model.textEncoder.encode(literal, clock)).data))).toBe(
      true,
    );
  });
});

function words(n: number): string {
  return Array.from({ length: n }, () => 'cat').join(' ');
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

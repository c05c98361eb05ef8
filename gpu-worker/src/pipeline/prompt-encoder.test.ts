import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { type LoadedModel, loadModel } from '../model/load-model';
import { RunClock } from '../model/run-clock';
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

  it('flags truncated prompts', async () => {
    const encoder = new PromptEncoder(model.tokenizer, model.textEncoder);
    const long = await encoder.encode(
      Array.from({ length: 80 }, () => 'cat').join(' '),
      new RunClock(),
      emptyTimings(),
    );
    expect([long.truncated, long.tokenCount]).toEqual([true, 80]);
  });
});

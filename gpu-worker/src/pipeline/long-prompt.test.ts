import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { type LatentDiffusionPipeline, loadPipeline } from './pipeline';
import { PipelineInputError } from './pipeline-input-error';
import type { StandaloneRequest } from './request';
import { resolveAndGenerate, resolveAndGenerateBatch } from './standalone';

let root: string;
let pipeline: LatentDiffusionPipeline;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-long-prompt-'));
  pipeline = await loadPipeline(await writeTinyModel(join(root, 'sd')));
});

afterAll(async () => {
  await pipeline?.release();
  await rm(root, { recursive: true, force: true });
});

const words = (word: string, n: number) => Array.from({ length: n }, () => word).join(' ');
const bytes = (a: Float32Array | Uint8Array | undefined) =>
  Buffer.from(a?.buffer ?? new ArrayBuffer(0), a?.byteOffset, a?.byteLength);

const base: StandaloneRequest = { prompt: 'a cat', seed: 3, steps: 3, scheduler: 'ddim' };

describe('long prompts through the UNet', () => {
  it('a 2-chunk prompt with a 1-chunk negative prompt runs (the negative is padded with the empty chunk)', async () => {
    const long = await resolveAndGenerate(
      pipeline,
      { ...base, prompt: `${words('cat', 74)} dog` },
      { keepLatents: true },
    );
    const cut = await resolveAndGenerate(
      pipeline,
      { ...base, prompt: `${words('cat', 74)} dog bird` },
      { keepLatents: true },
    );
    const longer = await resolveAndGenerate(
      pipeline,
      { ...base, prompt: `${words('cat', 74)} dog bird fish` },
      { keepLatents: true },
    );
    expect(long.truncated).toEqual({ prompt: false, negative_prompt: false });
    // Before chunking, tokens past 75 were dropped: these two gave the same image.
    expect(bytes(cut.images[0].latents).equals(bytes(longer.images[0].latents))).toBe(false);
    expect(bytes(long.images[0].latents).equals(bytes(cut.images[0].latents))).toBe(false);
  });

  it('requests of different chunk counts in one batch give the images they give alone', async () => {
    const short = { ...base, negative_prompt: 'blurry' };
    const long = { ...base, seed: 4, prompt: words('dog', 90), negative_prompt: words('fog', 160) };
    const [a, b] = await resolveAndGenerateBatch(pipeline, [short, long], { keepLatents: true });
    const aloneA = await resolveAndGenerate(pipeline, short, { keepLatents: true });
    const aloneB = await resolveAndGenerate(pipeline, long, { keepLatents: true });
    expect(bytes(a.images[0].latents).equals(bytes(aloneA.images[0].latents))).toBe(true);
    expect(bytes(b.images[0].latents).equals(bytes(aloneB.images[0].latents))).toBe(true);
  });

  it('reports progress monotonically up to the step count when a batch runs as two loops', async () => {
    const steps: number[] = [];
    await resolveAndGenerateBatch(pipeline, [base, { ...base, prompt: words('dog', 90) }], {
      onProgress: ({ step, total }) => {
        expect(total).toBe(3);
        steps.push(step);
      },
    });
    expect(steps).toEqual([...steps].sort((x, y) => x - y));
    expect(steps.at(-1)).toBe(3);
    expect(steps).toHaveLength(6);
  });

  it('an export whose UNet fixes the text length to 77 answers 422 for a second chunk', async () => {
    const fixed = await loadPipeline(await writeTinyModel(join(root, 'fixed'), { unetFixedSequence: true }));
    try {
      await expect(resolveAndGenerate(fixed, base)).resolves.toBeDefined();
      const error = await resolveAndGenerate(fixed, { ...base, negative_prompt: words('fog', 76) }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PipelineInputError);
      expect(error).toMatchObject({ field: 'negative_prompt', limit: 75 });
      expect((error as Error).message).toMatch(
        /has 76 tokens; this model's UNet export is fixed to 77 text positions/,
      );
    } finally {
      await fixed.release();
    }
  });
});

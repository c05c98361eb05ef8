import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import {
  GenerationCanceledError,
  type LatentDiffusionPipeline,
  loadPipeline,
  resolveAndGenerate,
} from '../index';

let dir: string;
let pipeline: LatentDiffusionPipeline;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-txt2img-'));
  pipeline = await loadPipeline(await writeTinyModel(join(dir, 'model')));
});

afterAll(async () => {
  await pipeline?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('txt2img', () => {
  it('produces RGB images of the requested size with per-image seeds', async () => {
    const result = await resolveAndGenerate(pipeline, {
      prompt: 'a photo of a cat',
      seed: 7,
      steps: 4,
      num_outputs: 2,
    });
    expect(result.images.map((i) => [i.width, i.height, i.seed])).toEqual([
      [64, 64, 7],
      [64, 64, 8],
    ]);
    expect(result.images[0].rgb.length).toBe(64 * 64 * 3);
    expect(Buffer.compare(result.images[0].rgb, result.images[1].rgb)).not.toBe(0);
    // The folder's scheduler_config.json is PNDM; PLMS with skip_prk_steps evaluates steps + 1 times.
    expect(result.request.scheduler).toBe('pndm');
    expect(result.timings.unetStepMs).toHaveLength(5);
  });

  it('gives the same bytes for the same seed, different ones for another seed', async () => {
    const request = { prompt: 'a red circle', seed: 1234, steps: 3, scheduler: 'euler_ancestral' };
    const a = await resolveAndGenerate(pipeline, request);
    const b = await resolveAndGenerate(pipeline, request);
    const c = await resolveAndGenerate(pipeline, { ...request, seed: 1235 });
    expect(Buffer.compare(a.images[0].rgb, b.images[0].rgb)).toBe(0);
    expect(Buffer.compare(a.images[0].rgb, c.images[0].rgb)).not.toBe(0);
  });

  it('reports progress once per step and stops between steps when aborted', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = resolveAndGenerate(
      pipeline,
      { prompt: 'x', seed: 1, steps: 6, scheduler: 'ddim' },
      {
        signal: controller.signal,
        onProgress: ({ step }) => {
          steps.push(step);
          if (step === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(GenerationCanceledError);
    expect(steps).toEqual([1, 2]);
  });
});

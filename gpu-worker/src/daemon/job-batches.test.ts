import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobInput, LeasedJob } from '@ldm/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { type LatentDiffusionPipeline, loadPipeline } from '../index';
import { groupIntoBatches } from './job-batches';

let dir: string;
let pipeline: LatentDiffusionPipeline;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldm-batches-'));
  pipeline = await loadPipeline(await writeTinyModel(join(dir, 'm')), { provider: 'cpu' });
});
afterAll(async () => {
  await pipeline?.release();
  rmSync(dir, { recursive: true, force: true });
});

const job = (id: string, input: Partial<JobInput> = {}): LeasedJob => ({
  job_id: id,
  lease_token: `lt_${id}`,
  lease_expires_at: 0,
  attempt: 1,
  input: {
    model: 'm',
    model_version: 'v1',
    task: 'txt2img',
    prompt: `prompt ${id}`,
    negative_prompt: '',
    width: 64,
    height: 64,
    steps: 10,
    guidance_scale: 5,
    scheduler: 'ddim',
    seed: 1,
    num_outputs: 1,
    output_format: 'png',
    strength: 0.8,
    ...input,
  },
});

const ids = (batches: LeasedJob[][]) => batches.map((b) => b.map((j) => j.job_id));
const pipelineFor = (model: string) => (model === 'm' ? pipeline : undefined);

describe('dynamic batching', () => {
  it('puts text-to-image jobs of one size, scheduler and step count together, oldest first', () => {
    const jobs = [
      job('a'),
      job('b', { width: 128 }),
      job('c', { prompt: 'other', seed: 9, guidance_scale: 1 }),
      job('d', { steps: 11 }),
      job('e', { scheduler: 'euler' }),
      job('f'),
    ];
    expect(ids(groupIntoBatches(jobs, pipelineFor, 4))).toEqual([['a', 'c', 'f'], ['b'], ['d'], ['e']]);
  });

  it('caps a batch at MAX_BATCH and opens another', () => {
    const jobs = ['1', '2', '3', '4', '5'].map((id) => job(id));
    expect(ids(groupIntoBatches(jobs, pipelineFor, 2))).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(ids(groupIntoBatches(jobs, pipelineFor, 1))).toEqual([['1'], ['2'], ['3'], ['4'], ['5']]);
  });

  it('runs image tasks, other models and jobs the pipeline rejects alone', () => {
    const jobs = [
      job('a'),
      job('img', { task: 'img2img', image_key: 'k' }),
      job('other', { model: 'not-here' }),
      job('bad', { width: 60 }),
      job('b'),
    ];
    expect(ids(groupIntoBatches(jobs, pipelineFor, 4))).toEqual([['a', 'b'], ['img'], ['other'], ['bad']]);
  });
});

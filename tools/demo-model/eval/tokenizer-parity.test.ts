// The runtime must feed the text encoder exactly the ids it was trained on. The cases
// (prompt -> ids from ldm_demo/tokenizer.py: encode) are written by the export; here the
// shipped tokenizer files go through the pipeline's own tokenizer loader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LatentDiffusionPipeline, loadPipeline } from '@ldm/gpu-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MODEL = fileURLToPath(new URL('../../../models/demo-shapes', import.meta.url));
const cases = JSON.parse(readFileSync(new URL('./tokenizer-cases.json', import.meta.url), 'utf8')) as {
  text: string;
  ids: number[];
}[];

let pipeline: LatentDiffusionPipeline;
beforeAll(async () => {
  pipeline = await loadPipeline(MODEL);
});
afterAll(async () => {
  await pipeline?.release();
});

describe('demo-shapes tokenizer', () => {
  it('gives the training-time ids for every case', () => {
    expect(cases.length).toBeGreaterThan(5);
    for (const c of cases) expect(pipeline.tokenize(c.text).ids, JSON.stringify(c.text)).toEqual(c.ids);
  });

  it('uses the model length (16), not CLIP 77', () => {
    expect(pipeline.tokenize('a red circle').ids).toHaveLength(16);
  });
});

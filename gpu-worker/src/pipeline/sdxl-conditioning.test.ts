import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN, SEQ_LEN, weights } from '../../test-fixtures/tiny-models';
import { SDXL_FIXTURE, writeTinySdxlModel } from '../../test-fixtures/tiny-sdxl';
import { type LoadedModel, loadModel } from '../model/load-model';
import { RunClock } from '../model/run-clock';
import { prepareRequest } from './prepare-request';
import type { PipelineRequest } from './request';
import { addedConditioning } from './sdxl-added';
import { addTimeIds, guidanceScaleEmbedding } from './sdxl-conditioning';
import { SdxlPromptEncoder, zeroEmbedding } from './sdxl-prompt-encoder';
import { emptyTimings } from './timings';

/**
 * The conditioning tensors of diffusers' StableDiffusionXLPipeline, computed by hand from its
 * code: `_get_add_time_ids`, `encode_prompt` (hidden_states[-2] of both encoders concatenated
 * on the last axis, pooled = text_encoder_2's text_embeds) and `get_guidance_scale_embedding`.
 */

const F = SDXL_FIXTURE;

/** The fixture encoders' forward pass written out: hidden_states.0 .. hidden_states.layers for one chunk of ids. */
function referenceLayers(ids: number[], which: 1 | 2): Float32Array[] {
  const H = which === 1 ? HIDDEN : F.hidden2;
  const seeds = which === 1 ? F.seeds1 : F.seeds2;
  const table = weights(49408 * H, seeds.table, 1);
  const positions = weights(SEQ_LEN * H, seeds.positions, 0.1);
  let x = new Float32Array(ids.length * H);
  ids.forEach((id, t) => {
    for (let j = 0; j < H; j++) x[t * H + j] = table[id * H + j] + positions[t * H + j];
  });
  const layers = [x];
  for (let i = 1; i <= F.layers; i++) {
    const w = weights(H * H, seeds.layerW + i, 0.6);
    const b = weights(H, seeds.layerB + i, 0.3);
    const y = new Float32Array(x.length);
    for (let t = 0; t < ids.length; t++) {
      for (let j = 0; j < H; j++) {
        let sum = 0;
        for (let k = 0; k < H; k++) sum += x[t * H + k] * w[k * H + j];
        y[t * H + j] = Math.tanh(sum + b[j]);
      }
    }
    x = y;
    layers.push(x);
  }
  return layers;
}

/** text_encoder_2's text_embeds: final LayerNorm, mean over tokens, projection. */
function referencePooled(last: Float32Array, tokens: number): Float32Array {
  const H = F.hidden2;
  const gamma = Array.from(weights(H, F.seeds2.gamma, 0.5), (v) => 1 + v);
  const beta = weights(H, F.seeds2.beta, 0.2);
  const mean = new Float64Array(H);
  for (let t = 0; t < tokens; t++) {
    const row = last.subarray(t * H, (t + 1) * H);
    const mu = row.reduce((a, v) => a + v, 0) / H;
    const variance = row.reduce((a, v) => a + (v - mu) ** 2, 0) / H;
    for (let j = 0; j < H; j++) mean[j] += ((row[j] - mu) / Math.sqrt(variance + 1e-5)) * gamma[j] + beta[j];
  }
  const proj = weights(H * F.projection, F.seeds2.projection, 0.5);
  const out = new Float32Array(F.projection);
  for (let p = 0; p < F.projection; p++) {
    let sum = 0;
    for (let j = 0; j < H; j++) sum += (mean[j] / tokens) * proj[j * F.projection + p];
    out[p] = sum;
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tolerance);
}

describe('time_ids (_get_add_time_ids)', () => {
  it('defaults to the output size, crop (0, 0), in (height, width) order', () => {
    const ids = addTimeIds({}, { width: 1024, height: 768 }, false, 'text-to-image');
    expect(Array.from(ids.cond)).toEqual([768, 1024, 0, 0, 768, 1024]);
    expect(Array.from(ids.uncond)).toEqual([768, 1024, 0, 0, 768, 1024]);
  });

  it('text-to-image: the unconditional row is the conditional one unless both negative sizes are given', () => {
    const fields = {
      original_size: [512, 640],
      crops_coords_top_left: [16, 32],
      target_size: [1024, 896],
    } as const;
    const out = { width: 896, height: 1024 };
    const ids = addTimeIds(fields, out, false, 'text-to-image');
    expect(Array.from(ids.cond)).toEqual([512, 640, 16, 32, 1024, 896]);
    expect(Array.from(ids.uncond)).toEqual([512, 640, 16, 32, 1024, 896]);
    // StableDiffusionXLPipeline: `if negative_original_size is not None and negative_target_size is not None`.
    const one = addTimeIds({ ...fields, negative_original_size: [256, 256] }, out, false, 'text-to-image');
    expect(Array.from(one.uncond)).toEqual([512, 640, 16, 32, 1024, 896]);
    const both = addTimeIds(
      { ...fields, negative_original_size: [256, 256], negative_target_size: [512, 512] },
      out,
      false,
      'text-to-image',
    );
    // negative_crops_coords_top_left has its own default, (0, 0).
    expect(Array.from(both.uncond)).toEqual([256, 256, 0, 0, 512, 512]);
  });

  it('image-to-image: each negative size defaults to the positive one; the negative row takes the positive crop', () => {
    const fields = { original_size: [512, 640], crops_coords_top_left: [16, 32] } as const;
    // Img2Img/Inpaint `_get_add_time_ids` (no aesthetics): negative_original_size +
    // crops_coords_top_left + negative_target_size, so a negative crop given is ignored.
    const ids = addTimeIds(
      { ...fields, negative_original_size: [256, 256], negative_crops_coords_top_left: [8, 8] },
      { width: 64, height: 48 },
      false,
      'image-to-image',
    );
    expect(Array.from(ids.cond)).toEqual([512, 640, 16, 32, 48, 64]);
    expect(Array.from(ids.uncond)).toEqual([256, 256, 16, 32, 48, 64]);
  });

  it('refiners (requires_aesthetics_score): original size, crop, aesthetic score 6.0 / 2.5', () => {
    const ids = addTimeIds({}, { width: 1024, height: 1024 }, true, 'image-to-image');
    expect(Array.from(ids.cond)).toEqual([1024, 1024, 0, 0, 6]);
    expect(Array.from(ids.uncond)).toEqual([1024, 1024, 0, 0, 2.5]);
    const scored = addTimeIds(
      { aesthetic_score: 7.5, negative_aesthetic_score: 1, crops_coords_top_left: [8, 0] },
      { width: 64, height: 128 },
      true,
      'image-to-image',
    );
    expect(Array.from(scored.cond)).toEqual([128, 64, 8, 0, 7.5]);
    expect(Array.from(scored.uncond)).toEqual([128, 64, 0, 0, 1]);
  });
});

describe('LCM guidance embedding (get_guidance_scale_embedding)', () => {
  // Printed by torch 1.13 running diffusers' get_guidance_scale_embedding(torch.tensor(g - 1).repeat(1), dim).
  // torch's float32 exp is not correctly rounded (exp(-3.0701134) is one ulp below), and w = 7000
  // multiplies that ulp into the sin/cos argument: agreement to 5e-5, not to float32 rounding.
  it('matches torch for an even and an odd width', () => {
    expectClose(
      guidanceScaleEmbedding(8, 8),
      [
        0.5068854093551636, -0.9704722762107849, 0.5866532921791077, 0.6442176103591919, 0.8620134592056274,
        -0.24121272563934326, -0.8098382353782654, 0.7648422122001648,
      ],
      5e-5,
    );
    expectClose(
      guidanceScaleEmbedding(1.5, 7),
      [
        -0.4677717983722687, -0.9589242935180664, 0.049979161471128464, -0.8838492631912231,
        0.28366219997406006, 0.9987502694129944, 0,
      ],
      5e-5,
    );
    const wide = guidanceScaleEmbedding(8, 256);
    expectClose(
      [0, 1, 127, 128, 129, 255].map((i) => wide[i]),
      [
        0.5068854093551636, 0.8042871356010437, 0.6442176103591919, 0.8620134592056274, 0.5942408442497253,
        0.7648422122001648,
      ],
      5e-5,
    );
  });
});

describe('prompt embeddings of the two encoders', () => {
  let dir: string;
  let model: LoadedModel;
  let refinerModel: LoadedModel;
  let encoder: SdxlPromptEncoder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ldm-sdxl-cond-'));
    model = await loadModel(await writeTinySdxlModel(join(dir, 'base')));
    refinerModel = await loadModel(await writeTinySdxlModel(join(dir, 'refiner'), { refiner: true }));
    if (!model.sdxl) throw new Error('fixture not detected as SDXL');
    encoder = new SdxlPromptEncoder(model.tokenizer, model.sdxl);
  });

  const resolveForTest = (fields: Partial<PipelineRequest>): PipelineRequest => ({
    task: 'txt2img',
    prompt: '',
    negative_prompt: '',
    width: 64,
    height: 64,
    steps: 2,
    guidance_scale: 5,
    scheduler: 'ddim',
    seed: 1,
    num_outputs: 1,
    strength: 1,
    ...fields,
  });

  afterAll(async () => {
    await model?.release();
    await refinerModel?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('concatenates both penultimate layers per token (encoder 1 first) and takes text_embeds as pooled', async () => {
    const sdxl = model.sdxl;
    if (!sdxl) throw new Error('not SDXL');
    const text = 'a photo of a cat';
    const ids1 = model.tokenizer.encode(text).ids;
    const ids2 = sdxl.tokenizer2.encode(text).ids;
    // tokenizer_2 pads with "!" (id 0), tokenizer with <|endoftext|>: the rows differ after the end token.
    expect(ids2[ids2.length - 1]).toBe(0);
    expect(ids1[ids1.length - 1]).toBe(49407);
    const layers1 = referenceLayers(ids1, 1);
    const layers2 = referenceLayers(ids2, 2);
    // hidden_states[-2] of 0..layers = layer (layers - 1).
    const pen1 = layers1[F.layers - 1];
    const pen2 = layers2[F.layers - 1];
    const width = HIDDEN + F.hidden2;
    const expected = new Float32Array(SEQ_LEN * width);
    for (let t = 0; t < SEQ_LEN; t++) {
      expected.set(pen1.subarray(t * HIDDEN, (t + 1) * HIDDEN), t * width);
      expected.set(pen2.subarray(t * F.hidden2, (t + 1) * F.hidden2), t * width + HIDDEN);
    }
    const embedding = await encoder.encode(text, new RunClock(), emptyTimings());
    expect([embedding.sequence, embedding.hidden]).toEqual([SEQ_LEN, width]);
    expectClose(embedding.data, expected, 1e-5);
    expectClose(embedding.pooled ?? [], referencePooled(layers2[F.layers], SEQ_LEN), 1e-4);
  });

  it('clip_skip 1 takes hidden_states[-3] of each, without a layer norm', async () => {
    const text = 'a dog jumping';
    const sdxl = model.sdxl;
    if (!sdxl) throw new Error('not SDXL');
    const pen1 = referenceLayers(model.tokenizer.encode(text).ids, 1)[F.layers - 2];
    const pen2 = referenceLayers(sdxl.tokenizer2.encode(text).ids, 2)[F.layers - 2];
    const embedding = await encoder.encode(text, new RunClock(), emptyTimings(), 'prompt', 1);
    const width = HIDDEN + F.hidden2;
    expectClose(
      embedding.data.subarray(5 * width, 5 * width + HIDDEN),
      pen1.subarray(5 * HIDDEN, 6 * HIDDEN),
      1e-5,
    );
    expectClose(
      embedding.data.subarray(5 * width + HIDDEN, 6 * width),
      pen2.subarray(5 * F.hidden2, 6 * F.hidden2),
      1e-5,
    );
  });

  it("clip_skip applies to the prompt only: the negative prompt keeps hidden_states[-2] (diffusers' encode_prompt)", async () => {
    const request = await resolveForTest({ prompt: 'a red circle', negative_prompt: 'blurry', clip_skip: 1 });
    const clock = new RunClock();
    const timings = emptyTimings();
    const prepared = await prepareRequest({ model, prompts: encoder, clock, timings }, request);
    const slot = prepared.slots[0];
    const skipped = await encoder.encode('a red circle', clock, timings, 'prompt', 1);
    const negative = await encoder.encode('blurry', clock, timings, 'negative_prompt', 0);
    expect(Array.from(slot.cond.data)).toEqual(Array.from(skipped.data));
    expect(Array.from(slot.uncond?.data ?? [])).toEqual(Array.from(negative.data));
    expect(Array.from(slot.added?.uncond?.text_embeds ?? [])).toEqual(Array.from(negative.pooled ?? [1]));
  });

  it('force_zeros_for_empty_prompt: the UNet rows of a request without a negative prompt', async () => {
    const cond = await encoder.encode('a red circle', new RunClock(), emptyTimings());
    const request = { task: 'txt2img', width: 64, height: 48, guidance_scale: 5 } as PipelineRequest;
    const added = addedConditioning(model, request, cond, zeroEmbedding(cond));
    expect(Array.from(added?.cond.time_ids ?? [])).toEqual([48, 64, 0, 0, 48, 64]);
    expect(Array.from(added?.uncond?.time_ids ?? [])).toEqual([48, 64, 0, 0, 48, 64]);
    expect(added?.cond.text_embeds).toBe(cond.pooled);
    expect(Array.from(added?.uncond?.text_embeds ?? [1])).toEqual(new Array(F.projection).fill(0));
    expect(added?.cond.timestep_cond).toBeUndefined();
  });

  it('refiners: time_ids of five values with the aesthetic scores', async () => {
    if (!refinerModel.sdxl) throw new Error('not SDXL');
    expect(refinerModel.sdxl.requiresAestheticsScore).toBe(true);
    expect(refinerModel.sdxl.forceZerosForEmptyPrompt).toBe(false);
    const refinerEncoder = new SdxlPromptEncoder(refinerModel.tokenizer, refinerModel.sdxl);
    const cond = await refinerEncoder.encode('a red circle', new RunClock(), emptyTimings());
    const uncond = await refinerEncoder.encode('', new RunClock(), emptyTimings(), 'negative_prompt');
    const request = { width: 64, height: 64, guidance_scale: 5, aesthetic_score: 7 } as PipelineRequest;
    const added = addedConditioning(refinerModel, request, cond, uncond);
    expect(Array.from(added?.cond.time_ids ?? [])).toEqual([64, 64, 0, 0, 7]);
    expect(Array.from(added?.uncond?.time_ids ?? [])).toEqual([64, 64, 0, 0, 2.5]);
    expect(added?.uncond?.text_embeds).toBe(uncond.pooled);
  });
});

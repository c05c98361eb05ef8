import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TinyModelVariant, writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { encodeImage } from '../image/encode-output';
import { loadPipeline } from '../pipeline/pipeline';
import type { StandaloneRequest } from '../pipeline/request';
import { resolveAndGenerate } from '../pipeline/standalone';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-variants-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function generate(variant: TinyModelVariant, request: StandaloneRequest) {
  counter += 1;
  const pipeline = await loadPipeline(await writeTinyModel(join(root, `m${counter}`), variant));
  try {
    const result = await resolveAndGenerate(pipeline, request);
    return { pipeline, result, rgb: Buffer.from(result.images[0].rgb) };
  } finally {
    await pipeline.release();
  }
}

/** Mean absolute difference of two RGB images, in 8-bit levels. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

const txt2img: StandaloneRequest = {
  prompt: 'a blue square',
  negative_prompt: 'red',
  seed: 99,
  steps: 4,
  scheduler: 'ddim',
};

describe('export variants give the same images as the reference export', () => {
  let reference: Buffer;
  beforeAll(async () => {
    reference = (await generate({}, txt2img)).rgb;
  });

  it.each<[string, TinyModelVariant]>([
    ['int64 input_ids', { idsType: 'int64' }],
    ['int32 [batch] timestep', { timestep: 'int32' }],
    ['float32 [batch] timestep', { timestep: 'float32' }],
    ['UNet batch fixed to 1 at export (CFG as two calls)', { unetFixedBatch: 1 }],
    ['UNet batch fixed to 3 at export (padded calls)', { unetFixedBatch: 3 }],
    ['0-d float32 timestep', { timestep: 'float32-scalar' }],
    ['weights in model.onnx_data', { externalData: 'model.onnx_data' }],
    ['weights in weights.pb', { externalData: 'weights.pb' }],
    ['tokenizer.json instead of vocab.json + merges.txt', { tokenizer: 'tokenizer-json' }],
  ])('%s', async (_name, variant) => {
    const { rgb } = await generate(variant, txt2img);
    expect(rgb.equals(reference)).toBe(true);
  });

  it('fp16 inputs/outputs (Uint16Array tensors) come within half-precision rounding', async () => {
    const { rgb } = await generate({ fp16: true, timestep: 'float16' }, txt2img);
    expect(meanDiff(rgb, reference)).toBeLessThan(1);
    expect(rgb.equals(reference)).toBe(false);
  });
});

describe('configuration read from the folder', () => {
  it('takes the VAE scaling factor from the config, 0.18215 when absent', async () => {
    const plain = await generate({}, txt2img);
    expect(plain.pipeline.info.vaeScalingFactor).toBe(0.18215);
    const custom = await generate({ scalingFactor: 0.5 }, txt2img);
    expect(custom.pipeline.info.vaeScalingFactor).toBe(0.5);
    // Same latents, divided by another factor before decoding: a different image.
    expect(custom.rgb.equals(plain.rgb)).toBe(false);
  });

  it('takes the VAE spatial factor from block_out_channels and the native size from sample_size', async () => {
    const { pipeline, result } = await generate({ vaeFactor: 4, sampleSize: 12 }, { ...txt2img, width: 40 });
    expect(pipeline.info.spatialFactor).toBe(4);
    expect([pipeline.info.nativeWidth, pipeline.info.nativeHeight]).toEqual([48, 48]);
    expect([result.images[0].width, result.images[0].height]).toEqual([40, 48]);
  });
});

describe('VAE encoder outputs', () => {
  it.each(['latent_sample', 'latent_parameters'] as const)('img2img works with %s', async (output) => {
    const image = await encodeImage(new Uint8Array(64 * 64 * 3).fill(200), 64, 64, { format: 'png' });
    const request = { prompt: 'x', image, strength: 0.5, seed: 3, steps: 4, scheduler: 'ddim' };
    const a = await generate({ vaeEncoderOutput: output }, request);
    const b = await generate({ vaeEncoderOutput: output }, request);
    expect(a.result.request.task).toBe('img2img');
    // DDIM at strength 0.5 of 4 steps: two denoising steps from the noised image.
    expect(a.result.timings.unetStepMs).toHaveLength(2);
    expect(a.rgb.equals(b.rgb)).toBe(true);
  });
});

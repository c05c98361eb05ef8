import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { writeTinySdxlModel } from '../../test-fixtures/tiny-sdxl';
import { memoryPlan } from './memory-plan';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-memory-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const size = async (path: string) => (await stat(path)).size;

describe('memoryPlan', () => {
  it('counts both SDXL text encoders, the UNet and the VAEs, graphs and external data, not configs', async () => {
    const sdxl = await writeTinySdxlModel(join(dir, 'sdxl'));
    const plan = await memoryPlan(sdxl);
    expect(Object.keys(plan.networks).sort()).toEqual([
      'text_encoder',
      'text_encoder_2',
      'unet',
      'vae_decoder',
      'vae_encoder',
    ]);
    expect(plan.networks.text_encoder_2).toBe(await size(join(sdxl, 'text_encoder_2', 'model.onnx')));
    const sum = Object.values(plan.networks).reduce((a, b) => a + (b ?? 0), 0);
    expect(plan.totalBytes).toBe(sum);

    const sd = await writeTinyModel(join(dir, 'sd'), { externalData: 'model.onnx_data' });
    const sdPlan = await memoryPlan(sd);
    expect(sdPlan.networks.text_encoder_2).toBeUndefined();
    expect(sdPlan.networks.unet).toBe(
      (await size(join(sd, 'unet', 'model.onnx'))) + (await size(join(sd, 'unet', 'model.onnx_data'))),
    );
    expect(plan.totalBytes).toBeGreaterThan(sdPlan.totalBytes);
  });
});

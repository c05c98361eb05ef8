import { cp, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { loadModel } from './load-model';
import { ModelFolderError } from './model-folder-error';

let root: string;
let good: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-bad-model-'));
  good = await writeTinyModel(join(root, 'good'), { externalData: 'model.onnx_data' });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
/** A copy of the good folder, broken by `damage`. */
async function broken(damage: (dir: string) => Promise<void>): Promise<string> {
  counter += 1;
  const dir = join(root, `broken-${counter}`);
  await cp(good, dir, { recursive: true });
  await damage(dir);
  return dir;
}

async function loadError(dir: string): Promise<ModelFolderError> {
  const error = await loadModel(dir).then(
    (model) => model.release().then(() => undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFolderError);
  return error as ModelFolderError;
}

describe('a folder that is not a valid model names the missing or wrong file', () => {
  it('loads the intact folder', async () => {
    const model = await loadModel(good);
    expect(model.unet.inChannels).toBe(4);
    await model.release();
  });

  it('folder does not exist', async () => {
    expect((await loadError(join(root, 'nope'))).message).toMatch(/does not exist/);
  });

  it.each([
    'model_index.json',
    'text_encoder/model.onnx',
    'unet/model.onnx',
    'vae_decoder/model.onnx',
    'scheduler/scheduler_config.json',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
  ])('missing %s', async (file) => {
    const error = await loadError(await broken((dir) => unlink(join(dir, file))));
    expect(error.file).toBe(file);
  });

  it('missing external weights file: onnxruntime cannot load the UNet', async () => {
    const error = await loadError(await broken((dir) => unlink(join(dir, 'unet', 'model.onnx_data'))));
    expect(error.file).toBe('unet/model.onnx');
    expect(error.message).toMatch(/onnxruntime cannot load it/);
  });

  it('a UNet file that is not ONNX', async () => {
    const error = await loadError(
      await broken((dir) => writeFile(join(dir, 'unet', 'model.onnx'), 'this is not a protobuf')),
    );
    expect(error.file).toBe('unet/model.onnx');
  });

  it('the wrong network in the UNet slot', async () => {
    const error = await loadError(
      await broken(async (dir) => {
        await unlink(join(dir, 'unet', 'model.onnx'));
        await cp(join(dir, 'vae_decoder', 'model.onnx'), join(dir, 'unet', 'model.onnx'));
      }),
    );
    expect(error.file).toBe('unet/model.onnx');
    expect(error.message).toMatch(/latent_sample/);
  });

  it('a text encoder with float input_ids', async () => {
    const error = await loadError(
      await broken(async (dir) => {
        await unlink(join(dir, 'text_encoder', 'model.onnx'));
        await cp(join(dir, 'vae_encoder', 'model.onnx'), join(dir, 'text_encoder', 'model.onnx'));
      }),
    );
    expect(error.file).toBe('text_encoder/model.onnx');
  });

  it('invalid JSON in the scheduler config', async () => {
    const file = 'scheduler/scheduler_config.json';
    const error = await loadError(await broken((dir) => writeFile(join(dir, file), '{ "beta_start": ')));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('a non-numeric VAE scaling factor', async () => {
    const file = 'vae_decoder/config.json';
    const error = await loadError(
      await broken((dir) => writeFile(join(dir, file), '{"scaling_factor": "big"}')),
    );
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/scaling_factor/);
  });

  it('a pad token that is not in the vocabulary', async () => {
    const file = 'tokenizer/tokenizer_config.json';
    const error = await loadError(
      await broken((dir) => writeFile(join(dir, file), '{"pad_token": "<pad>"}')),
    );
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/pad_token "<pad>"/);
  });
});

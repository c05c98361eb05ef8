import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unet } from '../../test-fixtures/tiny-models';
import { type TinyModelVariant, writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { encodeImage } from '../image/encode-output';
import { loadPipeline } from '../pipeline/pipeline';
import { resolveAndGenerate } from '../pipeline/standalone';
import { loadModel } from './load-model';
import { firstConvInputChannels, readOnnxGraphStructure } from './onnx-file-reader';

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ldm-unet-channels-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(variant: TinyModelVariant): Promise<string> {
  counter += 1;
  return writeTinyModel(join(root, `m${counter}`), variant);
}

describe('firstConvInputChannels reads the weight shape from the ONNX file', () => {
  it.each([
    ['4 channels, float32', { inChannels: 4, io: 'float32' }, 4],
    ['9 channels, float32', { inChannels: 9, io: 'float32' }, 9],
    ['9 channels, float16 inputs (a Cast before the Conv)', { inChannels: 9, io: 'float16' }, 9],
    ['9 channels, symbolic channel axis', { inChannels: 9, io: 'float32', symbolicChannels: true }, 9],
    ['a Mul before the Conv hides it', { inChannels: 9, io: 'float32', hideChannels: true }, undefined],
  ] as const)('%s', async (_name, options, expected) => {
    const file = join(root, `unet-${counter++}.onnx`);
    await writeFile(file, unet({ timestep: 'int64', ...options }).encode().model);
    expect(firstConvInputChannels(await readOnnxGraphStructure(file), 'sample')).toBe(expected);
  });

  it('reads shapes of external-data initializers without their data (weights.pb)', async () => {
    const dir = await folder({ unetChannels: 9, symbolicUnetChannels: true, externalData: 'weights.pb' });
    const graph = await readOnnxGraphStructure(join(dir, 'unet/model.onnx'));
    expect(firstConvInputChannels(graph, 'sample')).toBe(9);
    expect([...graph.initializers.values()]).toContainEqual([4, 9, 3, 3]);
  });

  it('rejects a file that is not a protobuf model', async () => {
    const file = join(root, 'garbage.onnx');
    await writeFile(file, Buffer.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    await expect(readOnnxGraphStructure(file)).rejects.toThrow(/past the end|truncated|overruns/);
  });
});

describe('loading an export with a symbolic channel axis and no unet/config.json', () => {
  const image = () => encodeImage(new Uint8Array(64 * 64 * 3).fill(180), 64, 64, { format: 'png' });
  const mask = async () => {
    const m = new Uint8Array(64 * 64 * 3);
    m.fill(255, 0, 32 * 64 * 3);
    return encodeImage(m, 64, 64, { format: 'png' });
  };

  it('takes 9 channels from the graph and inpaints exactly as the export with fixed channels', async () => {
    const symbolic = await loadModel(await folder({ unetChannels: 9, symbolicUnetChannels: true }));
    expect([symbolic.unet.inChannels, symbolic.unetChannelSource]).toEqual([9, 'graph']);
    await symbolic.release();

    // Without unet/config.json there is no sample_size: the size is given, not the native default.
    const request = {
      prompt: 'a cat',
      image: await image(),
      mask: await mask(),
      seed: 5,
      steps: 3,
      width: 64,
      height: 64,
    };
    const run = async (variant: TinyModelVariant) => {
      const pipeline = await loadPipeline(await folder(variant));
      try {
        expect(pipeline.info.tasks).toEqual(['inpaint']);
        return Buffer.from(
          (await resolveAndGenerate(pipeline, { ...request, scheduler: 'ddim' })).images[0].rgb,
        );
      } finally {
        await pipeline.release();
      }
    };
    const fromGraph = await run({ unetChannels: 9, symbolicUnetChannels: true });
    const fixed = await run({ unetChannels: 9 });
    expect(fromGraph.equals(fixed)).toBe(true);
  });

  it.each([
    ['OnnxStableDiffusionInpaintPipeline', 9, 'model_index.json'],
    ['StableDiffusionInpaintPipeline', 9, 'model_index.json'],
    ['OnnxStableDiffusionInpaintPipelineLegacy', 4, 'default'],
    ['OnnxStableDiffusionPipeline', 4, 'default'],
  ] as const)(
    'falls back to the pipeline class when the graph hides it: %s -> %i',
    async (cls, channels, source) => {
      const dir = await folder({
        unetChannels: channels,
        symbolicUnetChannels: true,
        hideUnetChannels: true,
        pipelineClass: cls,
      });
      const model = await loadModel(dir);
      expect([model.unet.inChannels, model.unetChannelSource]).toEqual([channels, source]);
      await model.release();
    },
  );

  it('uses unet/config.json in_channels when the graph hides it', async () => {
    const dir = await folder({ unetChannels: 9, hideUnetChannels: true, pipelineClass: 'Custom' });
    // Rewrite the UNet with a symbolic axis but keep the config written for 9 channels.
    await writeFile(
      join(dir, 'unet/model.onnx'),
      unet({
        inChannels: 9,
        timestep: 'int64',
        io: 'float32',
        symbolicChannels: true,
        hideChannels: true,
      }).encode().model,
    );
    const model = await loadModel(dir);
    expect([model.unet.inChannels, model.unetChannelSource]).toEqual([9, 'unet/config.json']);
    await model.release();
  });

  it('keeps the fixed channel axis of the session when the export has one', async () => {
    const model = await loadModel(await folder({ unetChannels: 9 }));
    expect([model.unet.inChannels, model.unetChannelSource]).toEqual([9, 'session']);
    await model.release();
  });
});

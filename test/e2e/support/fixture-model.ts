import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OnnxGraph } from '@ldm/gpu-worker/test-fixtures/onnx-graph';
import { HIDDEN } from '@ldm/gpu-worker/test-fixtures/tiny-models';
import { writeTinyModel } from '@ldm/gpu-worker/test-fixtures/tiny-sd-folder';

/** The shipped demo model, when it has been built (tools/demo-model). */
export const DEMO_MODEL_DIR = resolve(import.meta.dirname, '../../../models/demo-shapes');

export function demoModelAvailable(): boolean {
  return (
    existsSync(join(DEMO_MODEL_DIR, 'model_index.json')) &&
    existsSync(join(DEMO_MODEL_DIR, 'unet/model.onnx'))
  );
}

/**
 * A tiny Stable-Diffusion-layout model (the pipeline's own test fixture) whose UNet is a stack of
 * `width`-channel 3x3 convolutions, so one denoising step costs a known amount of real compute.
 * The end-to-end tests need jobs that last a few seconds at a few steps (to kill a worker in the
 * middle of one) without waiting for the demo model to be trained.
 */
export async function writeSlowFixtureModel(dir: string, options: { width?: number; layers?: number } = {}) {
  await writeTinyModel(dir, { timestep: 'int64' });
  await mkdir(join(dir, 'unet'), { recursive: true });
  await writeFile(
    join(dir, 'unet', 'model.onnx'),
    slowUnet(options.width ?? 128, options.layers ?? 8).encode().model,
  );
  return dir;
}

function weights(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

function slowUnet(width: number, layers: number): OnnxGraph {
  const g = new OnnxGraph();
  g.input('sample', 'float32', ['batch', 4, 'height', 'width']);
  g.input('timestep', 'int64', ['batch']);
  g.input('encoder_hidden_states', 'float32', ['batch', 'sequence', HIDDEN]);
  const conv = (input: string, cin: number, cout: number, seed: number) =>
    g.node(
      'Conv',
      [input, g.floats(weights(cout * cin * 9, seed, 1 / Math.sqrt(cin * 9)), [cout, cin, 3, 3])],
      {
        pads: [1, 1, 1, 1],
      },
    );
  let h = g.node('Relu', [conv('sample', 4, width, 101)]);
  for (let i = 0; i < layers; i++) h = g.node('Relu', [conv(h, width, width, 200 + i)]);
  const out = conv(h, width, 4, 999);
  // Prompt and timestep still shape the prediction, as in the pipeline's own fixture.
  const column = g.ints([-1, 1, 1, 1]);
  const text = g.node('Reshape', [
    g.node('ReduceMean', ['encoder_hidden_states'], { axes: [1, 2], keepdims: 1 }),
    column,
  ]);
  const time = g.node('Reshape', [g.node('Cast', ['timestep'], { to: 1 }), column]);
  const sum = g.node('Add', [
    g.node('Add', [out, g.node('Mul', [text, g.floats([2], [1])])]),
    g.node('Mul', [time, g.floats([0.001], [1])]),
  ]);
  g.node('Tanh', [sum], undefined, 'out_sample');
  g.output('out_sample', 'float32', ['batch', 4, 'height', 'width']);
  return g;
}

// Replays the reference cases written by ldm_demo/export_onnx.py through onnxruntime-node
// (the runtime the platform uses) and fails if any output differs from PyTorch's by more
// than the tolerance. Usage: tsx tools/demo-model/verify/verify-onnx.ts <model dir> <cases.json>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const TOLERANCE = 1e-4;

interface EncodedArray {
  dtype: 'float32' | 'int32' | 'int64';
  shape: number[];
  data: string;
}
interface Case {
  model: string;
  inputs: Record<string, EncodedArray>;
  outputs: Record<string, EncodedArray>;
}

function decode(a: EncodedArray): ort.Tensor {
  const bytes = Buffer.from(a.data, 'base64');
  // Copy into a fresh ArrayBuffer: Buffer.from may share a pool with unrelated bytes.
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (a.dtype === 'float32') return new ort.Tensor('float32', new Float32Array(buf), a.shape);
  if (a.dtype === 'int32') return new ort.Tensor('int32', new Int32Array(buf), a.shape);
  return new ort.Tensor('int64', new BigInt64Array(buf), a.shape);
}

async function main(): Promise<void> {
  const [modelDir, casesPath] = process.argv.slice(2);
  if (!modelDir || !casesPath) throw new Error('usage: verify-onnx.ts <model dir> <cases.json>');
  const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as Case[];
  let worst = 0;
  for (const c of cases) {
    const session = await ort.InferenceSession.create(join(modelDir, c.model, 'model.onnx'), {
      executionProviders: ['cpu'],
    });
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, decode(v)]));
    const results = await session.run(feeds);
    for (const [name, expected] of Object.entries(c.outputs)) {
      const got = results[name];
      if (!got) throw new Error(`${c.model}: output ${name} missing`);
      if (got.dims.join('x') !== expected.shape.join('x')) {
        throw new Error(`${c.model}.${name}: shape ${got.dims.join('x')} != ${expected.shape.join('x')}`);
      }
      const want = decode(expected).data as Float32Array;
      const have = got.data as Float32Array;
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i] - have[i]));
      worst = Math.max(worst, diff);
      const inputs = Object.entries(c.inputs).map(([k, v]) => `${k}[${v.shape.join(',')}]`);
      console.log(`${c.model} ${inputs.join(' ')} -> ${name}: max abs diff ${diff.toExponential(2)}`);
    }
    await session.release();
  }
  if (worst > TOLERANCE) throw new Error(`max abs diff ${worst} exceeds ${TOLERANCE}`);
  console.log(
    `OK: onnxruntime matches PyTorch (worst max abs diff ${worst.toExponential(2)} <= ${TOLERANCE})`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

import * as ort from 'onnxruntime-node';
import { toHalfBits } from './float16';
import { fixedDim, type TensorInfo } from './session-metadata';

/**
 * The UNet's `timestep` feed, as diffusers' ONNX pipelines build it: the scheduler's timestep cast
 * to the input's dtype with numpy (float -> int truncates); the shape is 0-d, [1] or one entry per
 * batch item, as the export declares.
 */
export function timestepTensor(input: TensorInfo, t: number, batch: number): ort.Tensor {
  const shape = input.shape;
  const count = shape.length === 0 ? 1 : (fixedDim(input, 0) ?? batch);
  const dims = shape.length === 0 ? [] : [count];
  switch (input.type) {
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.trunc(t))), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(count).fill(Math.trunc(t)), dims);
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(count).fill(toHalfBits(t)), dims);
    default:
      return new ort.Tensor('float32', new Float32Array(count).fill(t), dims);
  }
}

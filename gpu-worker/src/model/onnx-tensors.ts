import * as ort from 'onnxruntime-node';
import { float16ToFloat32, float32ToFloat16 } from './float16';

/** Element types a float input or output of a Stable Diffusion export can have. */
export type FloatType = 'float32' | 'float16';

export function asFloatType(type: string, what: string): FloatType {
  if (type === 'float32' || type === 'float16') return type;
  throw new Error(`${what} has element type ${type}; expected float32 or float16`);
}

/** Our arrays are always float32; an fp16 model gets the converted bits. */
export function floatTensor(data: Float32Array, dims: readonly number[], type: FloatType): ort.Tensor {
  return type === 'float16'
    ? new ort.Tensor('float16', float32ToFloat16(data), dims)
    : new ort.Tensor('float32', data, dims);
}

export function readFloats(value: ort.OnnxValue | undefined, what: string): Float32Array {
  if (!value) throw new Error(`${what}: missing output`);
  const tensor = value as ort.Tensor;
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new Error(`${what}: output type ${tensor.type}; expected float32 or float16`);
}

export function intTensor(values: ArrayLike<number>, dims: readonly number[], type: string): ort.Tensor {
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(Array.from(values), BigInt), dims);
  throw new Error(`integer input of type ${type}; expected int32 or int64`);
}

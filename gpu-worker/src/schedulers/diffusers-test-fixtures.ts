/**
 * The fixtures of diffusers' scheduler test suite (tests/schedulers/test_schedulers.py),
 * rebuilt here so our full loops can be compared with the figures diffusers publishes:
 * a deterministic 4x3x8x8 sample, deterministic noise, and a "model" x * t / (t + 1).
 * All arithmetic is float32 like the torch originals.
 */

const f32 = Math.fround;
const BATCH = 4;
const CHANNELS = 3;
const SIZE = 8;
export const DUMMY_NUMEL = BATCH * CHANNELS * SIZE * SIZE;

/**
 * torch.arange(768).reshape(3, 8, 8, 4) / 768, permuted to (4, 3, 8, 8); laid out here in
 * that logical NCHW order so noise drawn for a (4, 3, 8, 8) tensor pairs with the same elements.
 */
function deterministic(reverse: boolean): Float32Array {
  const out = new Float32Array(DUMMY_NUMEL);
  let k = 0;
  for (let b = 0; b < BATCH; b++) {
    for (let c = 0; c < CHANNELS; c++) {
      for (let h = 0; h < SIZE; h++) {
        for (let w = 0; w < SIZE; w++) {
          const index = ((c * SIZE + h) * SIZE + w) * BATCH + b;
          out[k++] = (reverse ? DUMMY_NUMEL - 1 - index : index) / DUMMY_NUMEL;
        }
      }
    }
  }
  return out;
}

export function dummySampleDeter(): Float32Array {
  return deterministic(false);
}

export function dummyNoiseDeter(): Float32Array {
  return deterministic(true);
}

/** diffusers' dummy_model: sample * t / (t + 1), with t cast to float32. */
export function dummyModel(sample: Float32Array, t: number): Float32Array {
  const tf = f32(t);
  const denom = f32(tf + 1);
  const out = new Float32Array(sample.length);
  for (let i = 0; i < out.length; i++) out[i] = f32(sample[i] * tf) / denom;
  return out;
}

export function scale(sample: Float32Array, factor: number): Float32Array {
  return sample.map((v) => v * factor);
}

export function absSum(sample: Float32Array): number {
  let s = 0;
  for (const v of sample) s += Math.abs(v);
  return s;
}

export function absMean(sample: Float32Array): number {
  return absSum(sample) / sample.length;
}

import { readBoolean, readNumber } from './config';
import { SchedulerConfigError } from './errors';
import type { SchedulerConfigInput } from './types';

const f32 = Math.fround;

/**
 * Dynamic thresholding, Saharia et al. 2022 ("Imagen", section 2.3): per image, s is the
 * `ratio` quantile of |x0|, clamped to [1, sample_max_value]; x0 is clipped to [-s, s] and
 * divided by s. Meant for pixel-space models; diffusers offers it on DDIM, DPM-Solver and LCM.
 */
export interface DynamicThresholding {
  ratio: number;
  maxValue: number;
}

export function readDynamicThresholding(config: SchedulerConfigInput): DynamicThresholding | null {
  if (!readBoolean(config, 'thresholding', false)) return null;
  return {
    ratio: readNumber(config, 'dynamic_thresholding_ratio', 0.995, { min: 0, max: 1 }),
    maxValue: readNumber(config, 'sample_max_value', 1, { min: 0 }),
  };
}

/**
 * Threshold x0 in place; `batchSize` splits the flat sample into images (diffusers' dim 0).
 * It defaults to 1, right for a pipeline that steps one image per scheduler.
 */
export function applyDynamicThresholding(
  x0: Float32Array,
  batchSize = 1,
  { ratio, maxValue }: DynamicThresholding,
): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || x0.length % batchSize !== 0) {
    throw new SchedulerConfigError(
      'batchSize',
      `thresholding needs the number of images in the sample (a divisor of ${x0.length})`,
    );
  }
  const size = x0.length / batchSize;
  const sorted = new Float32Array(size);
  for (let b = 0; b < batchSize; b++) {
    const row = x0.subarray(b * size, (b + 1) * size);
    for (let i = 0; i < size; i++) sorted[i] = Math.abs(row[i]);
    sorted.sort();
    // torch.quantile: linear interpolation at rank q * (n - 1), computed in float32.
    const rank = f32(f32(ratio) * (size - 1));
    const below = Math.floor(rank);
    const above = Math.min(below + 1, size - 1);
    const w = f32(rank - below);
    const lo = sorted[below];
    const hi = sorted[above];
    const q = w < 0.5 ? f32(lo + f32(w * f32(hi - lo))) : f32(hi - f32(f32(hi - lo) * f32(1 - w)));
    const s = Math.min(Math.max(q, 1), maxValue);
    for (let i = 0; i < size; i++) row[i] = f32(Math.min(Math.max(row[i], -s), s) / s);
  }
}

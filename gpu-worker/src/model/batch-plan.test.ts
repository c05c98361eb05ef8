import { describe, expect, it } from 'vitest';
import { batchSlice, planBatches } from './batch-plan';

describe('planBatches', () => {
  it('runs everything at once when the batch is symbolic', () => {
    expect(planBatches(4, undefined)).toEqual([{ start: 0, count: 4, size: 4 }]);
  });

  it('respects a limit', () => {
    expect(planBatches(3, undefined, 2)).toEqual([
      { start: 0, count: 2, size: 2 },
      { start: 2, count: 1, size: 1 },
    ]);
  });

  it('pads the last call to a fixed batch size', () => {
    expect(planBatches(5, 2)).toEqual([
      { start: 0, count: 2, size: 2 },
      { start: 2, count: 2, size: 2 },
      { start: 4, count: 1, size: 2 },
    ]);
  });
});

describe('batchSlice', () => {
  const data = Float32Array.from([1, 1, 2, 2, 3, 3]);

  it('returns a view when no padding is needed', () => {
    const slice = batchSlice(data, 2, { start: 1, count: 2, size: 2 });
    expect(Array.from(slice)).toEqual([2, 2, 3, 3]);
    expect(slice.buffer).toBe(data.buffer);
  });

  it('pads by repeating the last item', () => {
    expect(Array.from(batchSlice(data, 2, { start: 2, count: 1, size: 3 }))).toEqual([3, 3, 3, 3, 3, 3]);
  });
});

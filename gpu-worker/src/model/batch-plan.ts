/** One onnxruntime call over items [start, start + count), padded to `size` items. */
export interface BatchRun {
  start: number;
  count: number;
  size: number;
}

/**
 * Splits `total` items into the calls a network accepts: any size up to `limit` when its
 * batch dimension is symbolic; exactly `fixed` items per call when the export fixed it
 * (the last call is padded by repeating its final item and the extra outputs dropped).
 */
export function planBatches(
  total: number,
  fixed: number | undefined,
  limit = Number.POSITIVE_INFINITY,
): BatchRun[] {
  const step = fixed ?? Math.max(1, Math.min(limit, total));
  const runs: BatchRun[] = [];
  for (let start = 0; start < total; start += step) {
    const count = Math.min(step, total - start);
    runs.push({ start, count, size: fixed ?? count });
  }
  return runs;
}

/** Items [run.start, run.start + run.count) of `data`, each `itemSize` long, padded to run.size items. */
export function batchSlice(data: Float32Array, itemSize: number, run: BatchRun): Float32Array {
  const begin = run.start * itemSize;
  if (run.size === run.count) return data.subarray(begin, begin + run.count * itemSize);
  const out = new Float32Array(run.size * itemSize);
  out.set(data.subarray(begin, begin + run.count * itemSize));
  const last = data.subarray(begin + (run.count - 1) * itemSize, begin + run.count * itemSize);
  for (let i = run.count; i < run.size; i++) out.set(last, i * itemSize);
  return out;
}

/** Where one generate() call spent its time, in milliseconds. */
export interface Timings {
  tokenizeMs: number;
  textEncoderMs: number;
  vaeEncodeMs: number;
  /** One entry per denoising step: the UNet call(s) of that step. */
  unetStepMs: number[];
  /** Scheduler steps, guidance arithmetic and inpainting blends over all steps. */
  schedulerMs: number;
  vaeDecodeMs: number;
  /** Safety checker, including its CLIP preprocessing. */
  safetyCheckMs: number;
  totalMs: number;
  /** Wall time inside onnxruntime's run() over all networks. */
  onnxRunMs: number;
  onnxRuns: number;
  /** Rows per denoising step (2 per image with guidance) and the onnxruntime calls they took. */
  unetBatchSize: number;
  unetRuns: number;
}

export function emptyTimings(): Timings {
  return {
    tokenizeMs: 0,
    textEncoderMs: 0,
    vaeEncodeMs: 0,
    unetStepMs: [],
    schedulerMs: 0,
    vaeDecodeMs: 0,
    safetyCheckMs: 0,
    totalMs: 0,
    onnxRunMs: 0,
    onnxRuns: 0,
    unetBatchSize: 0,
    unetRuns: 0,
  };
}

/** Runs `fn`, adding its duration to whatever `add` does with it. */
export async function timed<T>(add: (ms: number) => void, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    add(performance.now() - start);
  }
}

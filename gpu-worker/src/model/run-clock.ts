import type * as ort from 'onnxruntime-node';

/**
 * Adds up the wall time spent inside onnxruntime's run(): the benchmark's "share outside
 * run()" is everything else (tokenizing, tensor copies, fp16 conversion, schedulers, ...).
 */
export class RunClock {
  runMs = 0;
  runs = 0;

  async run(
    session: ort.InferenceSession,
    feeds: ort.InferenceSession.FeedsType,
    outputs?: readonly string[],
  ): Promise<ort.InferenceSession.ReturnType> {
    const start = performance.now();
    try {
      return outputs ? await session.run(feeds, outputs) : await session.run(feeds);
    } finally {
      this.runMs += performance.now() - start;
      this.runs += 1;
    }
  }
}

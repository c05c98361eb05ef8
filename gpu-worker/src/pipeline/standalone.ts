import type { LatentDiffusionPipeline } from './pipeline';
import type { StandaloneRequest } from './request';
import type { GenerateOptions, GenerateResult } from './types';

/**
 * Standalone use (CLI, benchmarks, evaluation, tests): fills the defaults with `@ldm/shared`'s
 * resolveRequest (see `LatentDiffusionPipeline.resolve`), then runs. Workers run jobs the edge
 * already resolved and call `generateBatch` directly.
 */
export async function resolveAndGenerate(
  pipeline: LatentDiffusionPipeline,
  request: StandaloneRequest,
  options?: GenerateOptions,
): Promise<GenerateResult> {
  return pipeline.generate(await pipeline.resolve(request), options);
}

export async function resolveAndGenerateBatch(
  pipeline: LatentDiffusionPipeline,
  requests: StandaloneRequest[],
  options?: GenerateOptions,
): Promise<GenerateResult[]> {
  const resolved = await Promise.all(requests.map((r) => pipeline.resolve(r)));
  return pipeline.generateBatch(resolved, options);
}

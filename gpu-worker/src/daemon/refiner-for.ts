import type { LatentDiffusionPipeline } from '../index';
import { ModelNotLoadedError } from './failure';

/**
 * The refiner a base + refiner job names. A worker without it gives the job back
 * (`model_not_loaded`, retryable) so another worker serving both models can take it.
 */
export function refinerFor(
  name: string,
  pipelineFor: (model: string) => LatentDiffusionPipeline | undefined,
): LatentDiffusionPipeline {
  const refiner = pipelineFor(name);
  if (!refiner) throw new ModelNotLoadedError(name);
  return refiner;
}

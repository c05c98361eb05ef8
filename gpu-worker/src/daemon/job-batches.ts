import { type LeasedJob, resolvedRequestOf } from '@ldm/shared';
import { batchKey, type LatentDiffusionPipeline, type PipelineRequest } from '../index';

/**
 * A leased job's input as the pipeline takes it: the edge resolved it (every default, the seed),
 * so it passes through as it is, less the fields that are the edge's (input images attached later).
 */
export function pipelineRequest(job: LeasedJob): PipelineRequest {
  return resolvedRequestOf(job.input);
}

/**
 * Groups leased jobs into batches that can share UNet calls: same model and the pipeline's
 * batchKey (size, scheduler, steps), text-to-image only. Image tasks run alone: a bad input image
 * should fail its own job, not its batch mates. Jobs the pipeline rejects also run alone, so the
 * rejection is reported on that job by name. Order of first appearance is kept (oldest first).
 */
export function groupIntoBatches(
  jobs: LeasedJob[],
  pipelineFor: (model: string) => LatentDiffusionPipeline | undefined,
  maxBatch: number,
): LeasedJob[][] {
  const batches = new Map<string, LeasedJob[][]>();
  const order: LeasedJob[][] = [];
  for (const job of jobs) {
    const key = compatibilityKey(job, pipelineFor(job.input.model));
    const open = key ? batches.get(key)?.at(-1) : undefined;
    if (open && open.length < maxBatch) {
      open.push(job);
      continue;
    }
    const batch = [job];
    order.push(batch);
    if (key) batches.set(key, [...(batches.get(key) ?? []), batch]);
  }
  return order;
}

function compatibilityKey(job: LeasedJob, pipeline: LatentDiffusionPipeline | undefined): string | undefined {
  // Base + refiner jobs and upscaling jobs run alone (two models one after the other, or their own image).
  if (!pipeline || job.input.task !== 'txt2img' || job.input.refiner || job.input.upscale !== undefined)
    return undefined;
  try {
    const request = pipelineRequest(job);
    pipeline.check(request);
    return `${job.input.model}|${batchKey(request)}`;
  } catch {
    return undefined;
  }
}

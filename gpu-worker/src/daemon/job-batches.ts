import type { LeasedJob } from '@ldm/shared';
import { batchKey, type LatentDiffusionPipeline, type PipelineRequest } from '../index';

/** A leased job's input as the pipeline takes it (input images attached later). */
export function pipelineRequest(job: LeasedJob): PipelineRequest {
  const i = job.input;
  return {
    task: i.task,
    prompt: i.prompt,
    negative_prompt: i.negative_prompt,
    width: i.width,
    height: i.height,
    steps: i.steps,
    guidance_scale: i.guidance_scale,
    scheduler: i.scheduler,
    use_karras_sigmas: i.use_karras_sigmas,
    rng: i.rng,
    seed: i.seed,
    num_outputs: i.num_outputs,
    strength: i.strength,
  };
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
  if (!pipeline || job.input.task !== 'txt2img') return undefined;
  try {
    return `${job.input.model}|${batchKey(pipeline.resolve(pipelineRequest(job)))}`;
  } catch {
    return undefined;
  }
}

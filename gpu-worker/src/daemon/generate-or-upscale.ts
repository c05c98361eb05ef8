import { type JobInput, LIMITS } from '@ldm/shared';
import { encodeImage } from '../image/encode-output';
import type { LatentDiffusionPipeline } from '../pipeline/pipeline';
import { PipelineInputError } from '../pipeline/pipeline-input-error';
import type { PipelineRequest } from '../pipeline/request';
import { emptyTimings } from '../pipeline/timings';
import type { GenerateOptions, GenerateResult } from '../pipeline/types';
import type { UpscalePipeline } from '../upscale/upscale-pipeline';
import type { UpscaleRequest } from '../upscale/upscale-request';

export interface BatchPipelines {
  /** Text-to-image / img2img / inpaint: absent for upscale jobs. */
  pipeline?: LatentDiffusionPipeline;
  /** upscale jobs, and txt2img jobs with `upscale`. */
  upscaler?: UpscalePipeline;
}

/** The pipelines a batch needs that this worker does not have, by model name. */
export function missingModels(input: JobInput, have: BatchPipelines): string[] {
  const missing: string[] = [];
  if (input.task === 'upscale') {
    if (!have.upscaler) missing.push(input.model);
  } else {
    if (!have.pipeline) missing.push(input.model);
    if (input.upscale !== undefined && !have.upscaler) missing.push(input.upscaler ?? 'an upscaler');
  }
  return missing;
}

function upscaleRequest(
  r: PipelineRequest,
  input: JobInput,
  image: Uint8Array,
  seed: number,
): UpscaleRequest {
  const chained = input.task !== 'upscale';
  return {
    task: 'upscale',
    image,
    prompt: r.prompt,
    negative_prompt: r.negative_prompt,
    steps: chained ? (input.upscaler_steps ?? r.steps) : r.steps,
    guidance_scale: chained ? (input.upscaler_guidance_scale ?? 1) : r.guidance_scale,
    scheduler: chained ? 'ddim' : r.scheduler,
    seed,
    num_outputs: chained ? 1 : r.num_outputs,
    noise_level: r.noise_level ?? 20,
  };
}

/**
 * Runs one batch: an upscale job on its upscaler; a txt2img job with `upscale` generates, then
 * upscales each image (seed kept) in the same job, so it stays one generation and one bill.
 * Progress counts every denoising step of both stages.
 */
export async function generateOrUpscale(
  have: BatchPipelines,
  requests: PipelineRequest[],
  inputs: JobInput[],
  options: GenerateOptions,
): Promise<GenerateResult[]> {
  const { pipeline, upscaler } = have;
  const first = inputs[0];
  if (first.task === 'upscale') {
    if (!upscaler) throw new Error(`upscaler ${first.model} is not loaded`);
    const results: GenerateResult[] = [];
    for (const [i, r] of requests.entries()) {
      const request = upscaleRequest(r, inputs[i], r.image as Uint8Array, r.seed);
      const input = await upscaler.inputSize(request.image);
      const f = LIMITS.upscaleFactor;
      if (input.width * f !== r.width || input.height * f !== r.height) {
        throw new PipelineInputError(
          'image',
          `gives ${input.width * f}x${input.height * f}, the job says ${r.width}x${r.height}`,
        );
      }
      const out = await upscaler.upscale(request, options);
      results.push({ images: out.images, request: r, truncated: out.truncated, timings: out.timings });
    }
    return results;
  }
  if (!pipeline) throw new Error(`model ${first.model} is not loaded`);
  const chained = first.upscale !== undefined;
  if (!chained) return pipeline.generateBatch(requests, options);
  if (!upscaler) throw new Error(`upscaler ${first.upscaler} is not loaded`);
  const images = requests.reduce((n, r) => n + r.num_outputs, 0);
  const upscaleSteps = first.upscaler_steps ?? requests[0].steps;
  const total = requests[0].steps + images * upscaleSteps;
  const generated = await pipeline.generateBatch(requests, {
    ...options,
    onProgress: ({ step }) => options.onProgress?.({ step, total }),
  });
  let done = requests[0].steps;
  const results: GenerateResult[] = [];
  for (const [i, result] of generated.entries()) {
    const upscaled = [];
    const timings = { ...emptyTimings(), ...result.timings };
    for (const image of result.images) {
      const png = await encodeImage(image.rgb, image.width, image.height, { format: 'png' });
      const out = await upscaler.upscale(upscaleRequest(result.request, inputs[i], png, image.seed), {
        ...options,
        onProgress: ({ step }) => options.onProgress?.({ step: done + step, total }),
      });
      done += upscaleSteps;
      timings.unetStepMs = [...timings.unetStepMs, ...out.timings.unetStepMs];
      timings.totalMs += out.timings.totalMs;
      timings.onnxRunMs += out.timings.onnxRunMs;
      upscaled.push({ ...out.images[0], seed: image.seed });
    }
    results.push({ ...result, images: upscaled, timings });
  }
  return results;
}

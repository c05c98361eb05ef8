import type { LatentDiffusionPipeline } from './pipeline';
import { PipelineInputError } from './pipeline-input-error';
import type { PipelineRequest } from './request';
import type { Timings } from './timings';
import type { GenerateOptions, GenerateResult } from './types';

/**
 * An SDXL base + refiner job, diffusers' "ensemble of expert denoisers": the base
 * (StableDiffusionXLPipeline, `denoising_end`, `output_type="latent"`) denoises the first part
 * of the schedule, the refiner (StableDiffusionXLImg2ImgPipeline, `image` = those latents,
 * `denoising_start` = the same fraction) the rest, with the same steps, scheduler and prompts.
 * The aesthetic scores are the refiner's conditioning (the base has none).
 */
export async function generateWithRefiner(
  base: LatentDiffusionPipeline,
  refiner: LatentDiffusionPipeline,
  request: PipelineRequest,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const end = request.denoising_end;
  if (request.refiner === undefined || end === undefined) {
    throw new PipelineInputError('refiner', 'a base + refiner job names the refiner and denoising_end');
  }
  if (request.task !== 'txt2img') {
    throw new PipelineInputError('refiner', `is for txt2img jobs, not ${request.task}`);
  }
  const { aesthetic_score, negative_aesthetic_score, ...baseRequest } = request;
  let baseSteps = 0;
  const first = await base.generate(baseRequest, {
    ...options,
    latentsOnly: true,
    onProgress: ({ step }) => {
      baseSteps = step;
      options.onProgress?.({ step, total: request.steps });
    },
  });
  const latents = first.images.map((image) => image.latents as Float32Array);
  const second = await refiner.generate(request, {
    ...options,
    refineFrom: { latents, denoisingStart: end },
    onProgress: ({ step, total }) =>
      options.onProgress?.({ step: baseSteps + step, total: Math.max(request.steps, baseSteps + total) }),
  });
  return { ...second, request, timings: addTimings(first.timings, second.timings) };
}

/** Both passes' timings: times and runs added, steps one after another. */
function addTimings(a: Timings, b: Timings): Timings {
  return {
    tokenizeMs: a.tokenizeMs + b.tokenizeMs,
    textEncoderMs: a.textEncoderMs + b.textEncoderMs,
    vaeEncodeMs: a.vaeEncodeMs + b.vaeEncodeMs,
    unetStepMs: [...a.unetStepMs, ...b.unetStepMs],
    schedulerMs: a.schedulerMs + b.schedulerMs,
    vaeDecodeMs: a.vaeDecodeMs + b.vaeDecodeMs,
    safetyCheckMs: a.safetyCheckMs + b.safetyCheckMs,
    totalMs: a.totalMs + b.totalMs,
    onnxRunMs: a.onnxRunMs + b.onnxRunMs,
    onnxRuns: a.onnxRuns + b.onnxRuns,
    unetBatchSize: Math.max(a.unetBatchSize, b.unetBatchSize),
    unetRuns: a.unetRuns + b.unetRuns,
  };
}

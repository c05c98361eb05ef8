import { type JobInput, LIMITS, type ModelInfo, modelEvaluations } from '@ldm/shared';
import { priceUnits } from './models';

/**
 * Compute units of one job, by the pixels it outputs: an upscale's width and height are its output's
 * (4x the input); a txt2img with `upscale` pays its generation and then the upscaler's run at 4x the
 * size, in the same bill. Steps are priced as UNet evaluations (Heun and KDPM2 run it 2N - 1 times).
 */
export function jobUnits(model: ModelInfo, input: JobInput, upscaler?: ModelInfo): number {
  const base = priceUnits(
    model,
    input.width,
    input.height,
    modelEvaluations(input.scheduler, input.steps),
    input.num_outputs,
  );
  if (!upscaler || input.upscale === undefined) return base;
  const f = LIMITS.upscaleFactor;
  const steps = input.upscaler_steps ?? upscaler.default_steps;
  const upscale = priceUnits(upscaler, input.width * f, input.height * f, steps, input.num_outputs);
  return Math.round((base + upscale) * 1e6) / 1e6;
}

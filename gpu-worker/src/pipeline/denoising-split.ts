import type { Scheduler } from '../schedulers';

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** diffusers: int(round(num_train_timesteps - fraction * num_train_timesteps)). */
export function discreteTimestepCutoff(fraction: number, numTrainTimesteps: number): number {
  return roundHalfEven(numTrainTimesteps - fraction * numTrainTimesteps);
}

/**
 * The base model's part of a base + refiner job (StableDiffusionXLPipeline with
 * `denoising_end`): the scheduled timesteps at or above the cutoff. The scheduler keeps its
 * full schedule; the loop just stops early.
 */
export function timestepsUntil(
  scheduler: Scheduler,
  steps: number,
  denoisingEnd: number,
  numTrainTimesteps: number,
): number[] {
  scheduler.setTimesteps(steps);
  const cutoff = discreteTimestepCutoff(denoisingEnd, numTrainTimesteps);
  const count = scheduler.timesteps.filter((t) => t >= cutoff).length;
  return scheduler.timesteps.slice(0, count);
}

/**
 * The refiner's part (StableDiffusionXLImg2ImgPipeline.get_timesteps with `denoising_start`):
 * the timesteps below the cutoff, one more for second-order schedulers so a Heun pair is not
 * split, and the scheduler told where it begins.
 */
export function timestepsFrom(
  scheduler: Scheduler,
  steps: number,
  denoisingStart: number,
  numTrainTimesteps: number,
): number[] {
  scheduler.setTimesteps(steps);
  const cutoff = discreteTimestepCutoff(denoisingStart, numTrainTimesteps);
  let count = scheduler.timesteps.filter((t) => t < cutoff).length;
  if (scheduler.order === 2 && count % 2 === 0) count += 1;
  const start = scheduler.timesteps.length - count;
  scheduler.setBeginIndex(start);
  return scheduler.timesteps.slice(start);
}

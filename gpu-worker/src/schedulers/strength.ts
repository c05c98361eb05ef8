import { SchedulerConfigError } from './errors';
import type { Scheduler } from './types';

export interface StrengthTimesteps {
  /** The timesteps to denoise over; the first one is where the init latents are noised to. */
  timesteps: number[];
  /** Index into the full schedule where denoising starts (t_start * order). */
  startIndex: number;
}

/**
 * img2img / SDEdit (Meng et al. 2021): noise the init image to an intermediate timestep
 * and denoise only the tail of the schedule. Mirrors diffusers' `get_timesteps`: of N steps
 * keep min(floor(N * strength), N), skip t_start * order entries, and tell the scheduler the
 * begin index so multistep/sigma schedulers start at the right place. LCM instead builds its
 * schedule from the strength itself, as diffusers' LCM img2img pipeline does.
 *
 * Calls `scheduler.setTimesteps`; run the denoising loop over the returned timesteps and
 * noise the init latents with `scheduler.addNoise(latents, noise, timesteps[0])`.
 */
export function timestepsForStrength(
  scheduler: Scheduler,
  numInferenceSteps: number,
  strength: number,
): StrengthTimesteps {
  if (!(strength > 0 && strength <= 1)) {
    throw new SchedulerConfigError('strength', `must be in (0, 1], got ${strength}`, 1);
  }
  if (scheduler.name === 'lcm') {
    scheduler.setTimesteps(numInferenceSteps, { strength });
    return { timesteps: scheduler.timesteps, startIndex: 0 };
  }
  scheduler.setTimesteps(numInferenceSteps);
  const initTimestep = Math.min(Math.floor(numInferenceSteps * strength), numInferenceSteps);
  const tStart = Math.max(numInferenceSteps - initTimestep, 0);
  const startIndex = tStart * scheduler.order;
  const timesteps = scheduler.timesteps.slice(startIndex);
  if (timesteps.length === 0) {
    throw new SchedulerConfigError(
      'strength',
      `${strength} with ${numInferenceSteps} steps leaves no denoising step; raise strength or steps`,
    );
  }
  scheduler.setBeginIndex(startIndex);
  return { timesteps, startIndex };
}

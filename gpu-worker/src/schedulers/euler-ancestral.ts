import { denoised, vPredictionScales } from './denoiser';
import { createEulerFamily } from './euler-family';
import { requireNoise, resultBuffer } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput, StepOptions } from './types';

const f32 = Math.fround;

/**
 * Euler ancestral sampling (k-diffusion's `sample_euler_ancestral`; Karras et al. 2022
 * section 3 for the ODE, Ho et al. 2020 for the ancestral split). Each step goes down to
 *   sigma_down = sqrt(sigma_next^2 - sigma_up^2),
 *   sigma_up   = sqrt(sigma_next^2 (sigma^2 - sigma_next^2) / sigma^2)
 * with a deterministic Euler step and adds fresh noise of std sigma_up, so the marginal at
 * sigma_next is right while the trajectory is re-randomised every step.
 * Defaults are diffusers' EulerAncestralDiscreteScheduler's.
 */
export function createEulerAncestral(config: SchedulerConfigInput): Scheduler {
  return createEulerFamily(config, {
    name: 'euler_ancestral',
    sigmaSpacings: false,
    step:
      ({ predictionType, sigmas: currentSigmas, indexFor, advance }) =>
      (modelOutput, t, sample, options: StepOptions = {}) => {
        const sigmas = currentSigmas();
        const i = indexFor(t);
        const sigma = sigmas[i];
        const sigmaNext = sigmas[i + 1];
        const sigmaSq = f32(sigma * sigma);
        const nextSq = f32(sigmaNext * sigmaNext);
        const sigmaUp = f32(Math.sqrt(f32(f32(nextSq * f32(sigmaSq - nextSq)) / sigmaSq)));
        const sigmaDown = f32(Math.sqrt(f32(nextSq - f32(sigmaUp * sigmaUp))));
        const dt = f32(sigmaDown - sigma);
        const { vScale, vDenom } = vPredictionScales(sigma);
        // diffusers draws noise on every step, the last one included, so the generator stays in step.
        const noise = requireNoise(options.generator, 'euler_ancestral', modelOutput.length);
        const out = resultBuffer(options.out, sample.length);
        for (let k = 0; k < out.length; k++) {
          const x = sample[k];
          const m = modelOutput[k];
          const d = denoised(predictionType, x, m, sigma, vScale, vDenom);
          const derivative = f32(f32(x - d) / sigma);
          out[k] = f32(x + f32(derivative * dt)) + f32(noise[k] * sigmaUp);
        }
        advance();
        return out;
      },
  });
}

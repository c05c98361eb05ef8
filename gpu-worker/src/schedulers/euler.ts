import { denoised, vPredictionScales } from './denoiser';
import { createEulerFamily } from './euler-family';
import { requireNoise, resultBuffer } from './tensor-ops';
import type { Scheduler, SchedulerConfigInput, StepOptions } from './types';

const f32 = Math.fround;

/**
 * Euler's method on the probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma
 * (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models",
 * Algorithm 2 with S_churn = 0 by default; with S_churn > 0 it adds the algorithm's noise
 * "churn" before each step). x is the sigma-scaled latent; D is the denoiser built from the
 * UNet's epsilon / v prediction. `use_karras_sigmas` selects the paper's sigma spacing (eq. 5).
 * Defaults are diffusers' EulerDiscreteScheduler's.
 */
export function createEuler(config: SchedulerConfigInput): Scheduler {
  return createEulerFamily(config, {
    name: 'euler',
    sigmaSpacings: true,
    step:
      ({ predictionType, sigmas: currentSigmas, indexFor, advance }) =>
      (modelOutput, t, sample, options: StepOptions = {}) => {
        const sigmas = currentSigmas();
        const i = indexFor(t);
        const sigma = sigmas[i];
        const sChurn = options.sChurn ?? 0;
        const sTmin = options.sTmin ?? 0;
        const sTmax = options.sTmax ?? Number.POSITIVE_INFINITY;
        const sNoise = options.sNoise ?? 1;
        const gamma =
          sTmin <= sigma && sigma <= sTmax ? Math.min(sChurn / (sigmas.length - 1), 2 ** 0.5 - 1) : 0;
        const sigmaHat = f32(sigma * (gamma + 1));
        const dt = f32(sigmas[i + 1] - sigmaHat);
        const out = resultBuffer(options.out, sample.length);
        let x: Float32Array = sample;
        if (gamma > 0) {
          // Algorithm 2, line 6: raise the noise level from sigma to sigma_hat with fresh noise.
          const noise = requireNoise(options.generator, 'euler with s_churn > 0', modelOutput.length);
          const churn = f32(Math.sqrt(f32(f32(sigmaHat * sigmaHat) - f32(sigma * sigma))));
          x = new Float32Array(sample.length);
          for (let k = 0; k < x.length; k++) x[k] = sample[k] + f32(f32(noise[k] * sNoise) * churn);
        }
        const { vScale, vDenom } = vPredictionScales(sigma);
        for (let k = 0; k < out.length; k++) {
          const xk = x[k];
          const m = modelOutput[k];
          const d = denoised(predictionType, xk, m, sigmaHat, vScale, vDenom);
          // d = (x - D(x)) / sigma_hat; x_next = x + d * (sigma_next - sigma_hat)   (Algorithm 2, lines 7-8)
          const derivative = f32(f32(xk - d) / sigmaHat);
          out[k] = xk + f32(derivative * dt);
        }
        advance();
        return out;
      },
  });
}

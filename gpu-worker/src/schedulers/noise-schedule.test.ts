import { describe, expect, it } from 'vitest';
import { noiseScheduleFromConfig } from './noise-schedule';
import { trainingSigmas } from './sigmas';

// Reference: the same tables built with torch (CPU, float32) as diffusers builds them; the sums
// are Python's left-to-right float64 sums of the float32 values, so equal sums mean equal tables.
const DEFAULTS = { beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' } as const;

function sum(values: Float32Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

describe('noise schedule tables are bit-identical to diffusers/torch', () => {
  it.each([
    ['linear (DDPM)', {}, 10.049999778835627, 275.51320117862633],
    [
      'scaled_linear (Stable Diffusion)',
      { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
      5.348992555984296,
      373.37648375472054,
    ],
    [
      'scaled_linear + zero terminal SNR (Lin et al. 2023)',
      { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, rescale_betas_zero_snr: true },
      14.90453326702118,
      352.1791929406581,
    ],
  ] as const)('%s', (_label, config, betaSum, alphaBarSum) => {
    const schedule = noiseScheduleFromConfig(config, DEFAULTS);
    expect(sum(schedule.betas)).toBe(betaSum);
    expect(sum(schedule.alphasCumprod)).toBe(alphaBarSum);
  });

  it('zero terminal SNR ends at alpha_bar = 0 (beta_T = 1)', () => {
    const schedule = noiseScheduleFromConfig({ rescale_betas_zero_snr: true }, DEFAULTS);
    expect(schedule.betas.at(-1)).toBe(1);
    expect(schedule.alphasCumprod.at(-1)).toBe(0);
  });

  it("SD's largest sigma is 14.6146 (diffusers' documented init_noise_sigma)", () => {
    const sd = noiseScheduleFromConfig(
      { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
      DEFAULTS,
    );
    expect(sd.alphasCumprod[999]).toBe(Math.fround(0.0046600960195064545));
    expect(trainingSigmas(sd.alphasCumprod)[999]).toBeCloseTo(14.6146, 4);
  });

  it('the cosine schedule clips betas at 0.999 (Nichol & Dhariwal 2021)', () => {
    const cos = noiseScheduleFromConfig({ beta_schedule: 'squaredcos_cap_v2' }, DEFAULTS);
    expect(cos.betas.at(-1)).toBe(Math.fround(0.999));
    expect(cos.betas[0]).toBeLessThan(1e-4);
  });

  it('trained_betas are used as given and validated', () => {
    const schedule = noiseScheduleFromConfig({ trained_betas: [0.1, 0.2, 0.5] }, DEFAULTS);
    expect(schedule.numTrainTimesteps).toBe(3);
    expect(schedule.alphasCumprod[2]).toBeCloseTo(0.9 * 0.8 * 0.5, 6);
    expect(() => noiseScheduleFromConfig({ trained_betas: [0.1, 2] }, DEFAULTS)).toThrow(/trained_betas/);
  });
});

import { describe, expect, it } from 'vitest';
import { absMean, absSum } from './diffusers-test-fixtures';
import { createScheduler } from './index';
import { multistepFullLoop } from './multistep-loop.test-support';

// Config and figures of diffusers' tests/schedulers/test_scheduler_unipc.py.
const BASE = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  solver_order: 2,
  solver_type: 'bh2',
  final_sigmas_type: 'sigma_min',
};

describe('unipc reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0.2464],
    ['karras sigmas', { use_karras_sigmas: true }, 0.2925],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0.1014],
    ['karras sigmas + v_prediction', { prediction_type: 'v_prediction', use_karras_sigmas: true }, 0.1966],
  ] as const)('%s', (_label, config, mean) => {
    expect(Math.abs(absMean(multistepFullLoop('unipc', { ...BASE, ...config })) - mean)).toBeLessThan(1e-3);
  });

  it('with noise (img2img from step 8 of 10)', () => {
    const sample = multistepFullLoop('unipc', BASE, { startAt: 8 });
    expect(Math.abs(absSum(sample) - 315.5757)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - 0.4109)).toBeLessThan(1e-3);
  });

  it('a DPM-Solver or DEIS config switched to unipc behaves as bh2 (diffusers test_switch)', () => {
    const switched = multistepFullLoop('unipc', { ...BASE, solver_type: 'logrho', algorithm_type: 'deis' });
    expect(Math.abs(absMean(switched) - 0.2464)).toBeLessThan(1e-3);
    expect(switched).toEqual(multistepFullLoop('unipc', BASE));
  });

  // diffusers publishes no figure for these; the values are its UniPCMultistepScheduler source run
  // on CPU with torch 1.13 (the test's full_loop with the config below, 20 steps).
  it.each([
    ['order 3, bh1', { solver_order: 3, solver_type: 'bh1' }, 197.32308959960938],
    [
      'order 3, noise prediction (predict_x0 false), Karras',
      { solver_order: 3, predict_x0: false, use_karras_sigmas: true },
      199.59112548828125,
    ],
    [
      'order 3, thresholding, corrector off at steps 0 and 3',
      {
        solver_order: 3,
        thresholding: true,
        sample_max_value: 0.5,
        dynamic_thresholding_ratio: 0.87,
        disable_corrector: [0, 3],
      },
      642.2890625,
    ],
  ] as const)('%s agrees with diffusers run on CPU', (_label, config, sum) => {
    const sample = multistepFullLoop('unipc', { ...BASE, ...config }, { steps: 20 });
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(2e-3);
  });

  it('the corrector matters: disabling it everywhere changes the result', () => {
    const all = Array.from({ length: 10 }, (_, i) => i);
    const plain = multistepFullLoop('unipc', BASE);
    const noCorrector = multistepFullLoop('unipc', { ...BASE, disable_corrector: all });
    expect(noCorrector).not.toEqual(plain);
    expect(() => createScheduler('unipc', { disable_corrector: [-1] })).toThrow(/disable_corrector/);
    expect(() => createScheduler('unipc', { solver_p: { _class_name: 'DDIMScheduler' } })).toThrow(
      /solver_p/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { TorchCpuGenerator } from '../random';
import { absMean, absSum, dummyModel, dummyNoiseDeter, dummySampleDeter } from './diffusers-test-fixtures';
import { createScheduler } from './index';

// Config and figures of diffusers' tests/schedulers/test_scheduler_dpm_multi.py.
const BASE = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  solver_order: 2,
  prediction_type: 'epsilon',
  thresholding: false,
  sample_max_value: 1.0,
  algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint',
  lower_order_final: false,
  euler_at_final: false,
  lambda_min_clipped: null, // diffusers: -inf (not representable in JSON; null takes the default)
  variance_type: null,
  final_sigmas_type: 'sigma_min',
};
const SD = { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, steps_offset: 1 };

function fullLoop(config: Record<string, unknown> = {}, name = 'dpmpp_2m'): Float32Array {
  const scheduler = createScheduler(name, { ...BASE, ...config });
  scheduler.setTimesteps(10);
  let sample = dummySampleDeter();
  // batchSize: the dummy sample is 4 images, which dynamic thresholding treats one by one.
  for (const t of scheduler.timesteps)
    sample = scheduler.step(dummyModel(sample, t), t, sample, { batchSize: 4 });
  return sample;
}

describe('dpmpp_2m reproduces diffusers full-loop figures', () => {
  it.each([
    ['no noise', {}, 0.3301],
    ['v_prediction', { prediction_type: 'v_prediction' }, 0.2251],
    ['karras sigmas + v_prediction', { prediction_type: 'v_prediction', use_karras_sigmas: true }, 0.2096],
    ['lu lambdas + v_prediction', { prediction_type: 'v_prediction', use_lu_lambdas: true }, 0.1554],
    [
      'dynamic thresholding',
      { thresholding: true, dynamic_thresholding_ratio: 0.87, sample_max_value: 0.5 },
      1.1364,
    ],
  ] as const)('%s', (_label, config, mean) => {
    expect(Math.abs(absMean(fullLoop(config)) - mean)).toBeLessThan(1e-3);
  });

  it('the dpmpp_2m_karras name is dpmpp_2m with Karras sigmas', () => {
    const byName = fullLoop({ prediction_type: 'v_prediction' }, 'dpmpp_2m_karras');
    expect(Math.abs(absMean(byName) - 0.2096)).toBeLessThan(1e-3);
    expect(byName).toEqual(fullLoop({ prediction_type: 'v_prediction', use_karras_sigmas: true }));
  });

  it('a UniPC/DEIS config switched to dpmpp_2m behaves as the defaults (diffusers test_switch)', () => {
    const switched = fullLoop({ algorithm_type: 'deis', solver_type: 'bh2' });
    expect(Math.abs(absMean(switched) - 0.3301)).toBeLessThan(1e-3);
    expect(switched).toEqual(fullLoop());
  });

  it('with noise (img2img from step 5 of 10)', () => {
    const scheduler = createScheduler('dpmpp_2m', BASE);
    scheduler.setTimesteps(10);
    const timesteps = scheduler.timesteps.slice(5 * scheduler.order);
    let sample = scheduler.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0]);
    for (const t of timesteps) sample = scheduler.step(dummyModel(sample, t), t, sample);
    expect(Math.abs(absSum(sample) - 318.4111)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - 0.4146)).toBeLessThan(1e-3);
  });

  it('every order, solver type and algorithm runs to a finite sample (test_solver_order_and_type)', () => {
    for (const algorithm_type of ['dpmsolver++', 'sde-dpmsolver++']) {
      for (const solver_type of ['midpoint', 'heun']) {
        for (const solver_order of [1, 2, 3]) {
          if (algorithm_type === 'sde-dpmsolver++' && solver_order === 3) continue;
          for (const prediction_type of ['epsilon', 'sample']) {
            const scheduler = createScheduler('dpmpp_2m', {
              ...BASE,
              algorithm_type,
              solver_type,
              solver_order,
              prediction_type,
            });
            scheduler.setTimesteps(10);
            const generator = new TorchCpuGenerator(0);
            let sample = dummySampleDeter();
            for (const t of scheduler.timesteps) {
              sample = scheduler.step(dummyModel(sample, t), t, sample, { generator });
            }
            expect(sample.every(Number.isFinite)).toBe(true);
          }
        }
      }
    }
  });
});

describe('dpmpp_2m timesteps', () => {
  it('linspace default drops the t=0 end point', () => {
    const scheduler = createScheduler('dpmpp_2m', {});
    scheduler.setTimesteps(10);
    expect(scheduler.timesteps).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
  });

  it('SD config with leading spacing', () => {
    const scheduler = createScheduler('dpmpp_2m', { ...SD, timestep_spacing: 'leading' });
    scheduler.setTimesteps(25);
    // step ratio 1000 // 26 = 38: 25 * 38 + 1, 24 * 38 + 1, ...
    expect(scheduler.timesteps.slice(0, 3)).toEqual([951, 913, 875]);
    expect(scheduler.timesteps.at(-1)).toBe(39);
  });

  it('Karras sigmas for SD start at sigma_max and map back to training timesteps', () => {
    const scheduler = createScheduler('dpmpp_2m_karras', SD);
    scheduler.setTimesteps(20);
    expect(scheduler.timesteps[0]).toBe(999);
    expect(scheduler.timesteps.every((t, i, all) => i === 0 || t <= all[i - 1])).toBe(true);
    expect(scheduler.timesteps.at(-1)).toBeLessThan(10);
  });
});

describe('dpmpp_2m_sde (DPM-Solver++ 2M SDE) matches diffusers run on CPU', () => {
  // diffusers publishes no full-loop figure for sde-dpmsolver++, so these come from its own
  // DPMSolverMultistepScheduler source (tests' full_loop: dummy_sample_deter, 10 steps,
  // generator = torch.manual_seed(0)) run with torch 1.13 on CPU:
  //   s = DPMSolverMultistepScheduler(**{**BASE, 'algorithm_type': 'sde-dpmsolver++', **extra})
  //   s.set_timesteps(10); g = torch.manual_seed(0); x = dummy_sample_deter
  //   for t in s.timesteps: x = s.step(model(x, t), t, x, generator=g).prev_sample
  //   print(x.abs().sum().item(), x.abs().mean().item())
  const sde = (extra: Record<string, unknown>, name = 'dpmpp_2m_sde') => {
    const scheduler = createScheduler(name, { ...BASE, ...extra });
    scheduler.setTimesteps(10);
    const generator = new TorchCpuGenerator(0);
    let sample = dummySampleDeter();
    for (const t of scheduler.timesteps)
      sample = scheduler.step(dummyModel(sample, t), t, sample, { generator });
    return sample;
  };

  it.each([
    ['epsilon', {}, 525.9482421875, 0.6848284602165222],
    [
      'karras sigmas + v_prediction',
      { use_karras_sigmas: true, prediction_type: 'v_prediction' },
      299.28912353515625,
      0.38969936966896057,
    ],
  ] as const)('%s', (_label, extra, sum, mean) => {
    const sample = sde(extra);
    expect(Math.abs(absSum(sample) - sum)).toBeLessThan(1e-2);
    expect(Math.abs(absMean(sample) - mean)).toBeLessThan(1e-3);
  });

  it('is the dpmpp_2m scheduler with algorithm_type sde-dpmsolver++, and needs a noise source', () => {
    expect(sde({})).toEqual(sde({ algorithm_type: 'sde-dpmsolver++' }, 'dpmpp_2m'));
    const scheduler = createScheduler('dpmpp_2m_sde', BASE);
    scheduler.setTimesteps(10);
    const t = scheduler.timesteps[0];
    const sample = dummySampleDeter();
    expect(() => scheduler.step(dummyModel(sample, t), t, sample)).toThrow(/noise source/);
  });
});

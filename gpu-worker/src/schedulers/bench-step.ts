/**
 * Scheduler overhead benchmark: wall time of scaleModelInput + step per denoising step,
 * for an SD latent at 512 px (1x4x64x64) and 1024 px (1x4x128x128), 50 steps, CFG-combined
 * output as the pipeline passes it. The pipeline budget is <= 3% of wall time outside
 * onnxruntime; a CPU UNet step takes hundreds of ms, so a step here must stay well under 1 ms.
 *
 *   nice -n 10 npx tsx gpu-worker/src/schedulers/bench-step.ts
 */

import { TorchCpuGenerator } from '../random';
import { createScheduler, SCHEDULER_NAMES } from './index';

const SD_CONFIG = {
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  steps_offset: 1,
  skip_prk_steps: true,
  set_alpha_to_one: false,
  clip_sample: false,
};
const ROUNDS = 5;

function bench(name: string, numel: number, steps: number) {
  const torchNoise = new TorchCpuGenerator(0);
  const start = torchNoise.randn(numel);
  const modelOutput = torchNoise.randn(numel);
  // Pre-drawn noise, so the figure is the scheduler's own cost (the noise source is timed below).
  const pool = torchNoise.randn(numel);
  const generator = { randn: () => pool };
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const scheduler = createScheduler(name, SD_CONFIG);
    scheduler.setTimesteps(steps);
    let sample = start;
    const t0 = process.hrtime.bigint();
    for (const t of scheduler.timesteps) {
      scheduler.scaleModelInput(sample, t);
      sample = scheduler.step(modelOutput, t, sample, { generator });
    }
    const perStep = Number(process.hrtime.bigint() - t0) / 1e3 / scheduler.timesteps.length;
    best = Math.min(best, perStep);
  }
  return best;
}

function benchNoise(numel: number) {
  const generator = new TorchCpuGenerator(1);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS * 4; round++) {
    const t0 = process.hrtime.bigint();
    generator.randn(numel);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return best;
}

console.log('scheduler          | us/step 1x4x64x64 | us/step 1x4x128x128');
for (const name of SCHEDULER_NAMES) {
  const steps = name === 'lcm' ? 8 : 50;
  const small = bench(name, 4 * 64 * 64, steps);
  const large = bench(name, 4 * 128 * 128, steps);
  console.log(`${name.padEnd(18)} | ${small.toFixed(1).padStart(17)} | ${large.toFixed(1).padStart(19)}`);
}
const noiseSmall = benchNoise(4 * 64 * 64).toFixed(1);
const noiseLarge = benchNoise(4 * 128 * 128).toFixed(1);
console.log(
  `${'TorchCpuGenerator'.padEnd(18)} | ${noiseSmall.padStart(17)} | ${noiseLarge.padStart(19)}  (one randn per step)`,
);

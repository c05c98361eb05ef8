import { SCHEDULERS } from '@ldm/shared';

/**
 * The one interface every scheduler implements, mirroring diffusers' SchedulerMixin
 * (`set_timesteps`, `scale_model_input`, `step`, `add_noise`, `init_noise_sigma`, `order`)
 * so a pipeline written against diffusers' loop reads the same here.
 *
 * Samples are flat `Float32Array`s in the model's NCHW layout; schedulers never look at the
 * shape, only at element-wise positions, so any batch size or latent size works.
 */

/** Scheduler names accepted by `createScheduler`: the API's `scheduler` field, listed once in @ldm/shared. */
export const SCHEDULER_NAMES = SCHEDULERS;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/**
 * A source of standard-normal noise. Stochastic schedulers draw from it instead of
 * Math.random so a seed reproduces the same latents byte for byte.
 * `randn(n)` returns n fresh N(0, 1) samples.
 */
export interface NoiseSource {
  randn(n: number): Float32Array;
}

export interface StepOptions {
  /** Noise for stochastic steps (euler_ancestral, lcm, ddim with eta > 0, euler with s_churn > 0). */
  generator?: NoiseSource;
  /** DDIM's eta (eq. 16 of Song et al. 2020): 0 is deterministic DDIM, 1 is DDPM-like. Default 0. */
  eta?: number;
  /** DDIM: recompute epsilon from the clipped x0 (diffusers' `use_clipped_model_output`). */
  useClippedModelOutput?: boolean;
  /** Euler's stochastic churn (Karras et al. 2022, Algorithm 2); defaults match diffusers. */
  sChurn?: number;
  sTmin?: number;
  sTmax?: number;
  sNoise?: number;
  /** Images in the sample (default 1); only dynamic thresholding, which works per image, uses it. */
  batchSize?: number;
  /** Write the result here instead of allocating; may be `sample` itself (an in-place step). */
  out?: Float32Array;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** How many model evaluations one "step" of the user's schedule takes (diffusers' `order`). */
  readonly order: number;
  /** Timesteps to feed the UNet, in order; valid after `setTimesteps`. */
  readonly timesteps: number[];
  /** Standard deviation of the initial noise: multiply N(0, 1) latents by this for txt2img. */
  readonly initNoiseSigma: number;
  readonly numTrainTimesteps: number;
  /** Number of inference steps of the last `setTimesteps` call (null before). */
  readonly numInferenceSteps: number | null;

  /**
   * Build the schedule for `numInferenceSteps` steps. `strength` (< 1) is only honoured by
   * schedulers whose schedule itself depends on it (LCM); use `timestepsForStrength` instead.
   */
  setTimesteps(numInferenceSteps: number, options?: { strength?: number }): void;
  /** Start stepping at this index of `timesteps` (img2img); diffusers' `set_begin_index`. */
  setBeginIndex(index: number): void;
  /** Scale the UNet input for the timestep (identity for DDPM-style schedulers; may return `sample`). */
  scaleModelInput(sample: Float32Array, t: number): Float32Array;
  /** One reverse-diffusion step: x_t -> x_{t-1}. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, options?: StepOptions): Float32Array;
  /** Forward diffusion q(x_t | x_0): noise `original` to timestep `t`. */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/** A parsed `scheduler_config.json`: snake_case keys as diffusers writes them. */
export type SchedulerConfigInput = Record<string, unknown>;

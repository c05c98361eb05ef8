import type { RunClock } from '../model/run-clock';
import { ADDED_INPUTS, type AddedInputs, type UnetModel } from '../model/unet';
import type { NoiseSource, Scheduler } from '../schedulers';
import { guide, rescaleGuidance } from './guidance';
import { GenerationCanceledError } from './pipeline-input-error';
import type { PromptEmbedding } from './prompt-encoder';
import type { AddedConditioning, AddedRow } from './sdxl-added';
import type { Timings } from './timings';

/** One image being denoised. Slots of compatible requests share the UNet calls. */
export interface DenoiseSlot {
  /** Each image has its own scheduler: multistep state and noise never mix across images. */
  scheduler: Scheduler;
  latents: Float32Array;
  /** This image's own stream (seed + index) for stochastic scheduler steps. */
  noise: NoiseSource;
  guidance: number;
  /** diffusers' guidance_rescale (0 = plain classifier-free guidance). */
  guidanceRescale: number;
  cond: PromptEmbedding;
  /** Present when classifier-free guidance is on for this image. */
  uncond?: PromptEmbedding;
  /** SDXL's pooled text and time_ids, LCM's guidance embedding, per row (sdxl-added.ts). */
  added?: AddedConditioning;
  /** 9-channel inpainting UNets: mask (1 channel) + masked-image latents (4), appended to the input. */
  extraChannels?: Float32Array;
  /** 4-channel inpainting: the kept region is reset to the image's latents noised to the next timestep. */
  blend?: { imageLatents: Float32Array; noise: Float32Array; mask: Float32Array };
}

export interface DenoiseContext {
  unet: UnetModel;
  clock: RunClock;
  timings: Timings;
  latentHeight: number;
  latentWidth: number;
  timesteps: readonly number[];
  signal?: AbortSignal;
  onStep?: (step: number, total: number) => void;
  /** Items per UNet call; unset = all rows in one call (CFG as one batch). */
  unetBatchLimit?: number;
}

const LATENT_CHANNELS = 4;

/**
 * The denoising loop: per step one UNet batch holding [uncond, cond] rows of every slot,
 * then guidance and a scheduler step per slot. Cancellation is checked between steps,
 * never inside a run(), so an abort costs at most one step.
 */
export async function denoise(slots: DenoiseSlot[], ctx: DenoiseContext): Promise<void> {
  const plane = ctx.latentHeight * ctx.latentWidth;
  const channels = ctx.unet.inChannels;
  const rows = slots.flatMap((slot, index) => [
    ...(slot.uncond ? [{ index, embedding: slot.uncond, added: slot.added?.uncond }] : []),
    { index, embedding: slot.cond, added: slot.added?.cond },
  ]);
  const added = stackAdded(rows.map((row) => row.added));
  const { sequence, hidden } = slots[0].cond;
  const states = new Float32Array(rows.length * sequence * hidden);
  rows.forEach((row, r) => {
    states.set(row.embedding.data, r * sequence * hidden);
  });
  const sample = new Float32Array(rows.length * channels * plane);
  const total = ctx.timesteps.length;
  ctx.timings.unetBatchSize = rows.length;

  for (let step = 0; step < total; step++) {
    if (ctx.signal?.aborted) throw new GenerationCanceledError(step);
    const t = ctx.timesteps[step];
    let schedulerStart = performance.now();
    const scaled = slots.map((slot) => slot.scheduler.scaleModelInput(slot.latents, t));
    rows.forEach((row, r) => {
      const at = r * channels * plane;
      sample.set(scaled[row.index], at);
      const extra = slots[row.index].extraChannels;
      if (extra) sample.set(extra, at + LATENT_CHANNELS * plane);
    });
    ctx.timings.schedulerMs += performance.now() - schedulerStart;

    const unetStart = performance.now();
    const runsBefore = ctx.clock.runs;
    const prediction = await ctx.unet.predict(
      sample,
      [rows.length, channels, ctx.latentHeight, ctx.latentWidth],
      t,
      states,
      [rows.length, sequence, hidden],
      ctx.clock,
      ctx.unetBatchLimit,
      added,
    );
    ctx.timings.unetStepMs.push(performance.now() - unetStart);
    ctx.timings.unetRuns += ctx.clock.runs - runsBefore;

    schedulerStart = performance.now();
    const item = LATENT_CHANNELS * plane;
    let r = 0;
    for (const slot of slots) {
      let eps: Float32Array;
      if (slot.uncond) {
        const cond = prediction.subarray((r + 1) * item, (r + 2) * item);
        eps = guide(prediction.subarray(r * item, (r + 1) * item), cond, slot.guidance);
        eps = rescaleGuidance(eps, cond, slot.guidanceRescale);
        r += 2;
      } else {
        eps = prediction.slice(r * item, (r + 1) * item);
        r += 1;
      }
      slot.latents = slot.scheduler.step(eps, t, slot.latents, { generator: slot.noise });
      if (slot.blend) blendKnownRegion(slot, ctx.timesteps[step + 1], plane);
    }
    ctx.timings.schedulerMs += performance.now() - schedulerStart;
    ctx.onStep?.(step + 1, total);
  }
}

/** Each added input's rows, one after another in the batch's row order (every row has each or none has). */
function stackAdded(rows: (AddedRow | undefined)[]): AddedInputs {
  const out: AddedInputs = {};
  for (const name of ADDED_INPUTS) {
    const first = rows[0]?.[name];
    if (!first) continue;
    const data = new Float32Array(rows.length * first.length);
    rows.forEach((row, r) => {
      const values = row?.[name];
      if (!values || values.length !== first.length) throw new Error(`UNet row ${r} lacks ${name}`);
      data.set(values, r * first.length);
    });
    out[name] = { data, width: first.length };
  }
  return out;
}

/**
 * Inpainting with an ordinary UNet (diffusers' StableDiffusionInpaintPipeline for 4-channel
 * UNets, RePaint-style): outside the mask the latents are replaced by the original image's
 * latents noised to the upcoming timestep, clean after the last step.
 */
function blendKnownRegion(slot: DenoiseSlot, nextT: number | undefined, plane: number): void {
  const blend = slot.blend;
  if (!blend) return;
  const known =
    nextT === undefined
      ? blend.imageLatents
      : slot.scheduler.addNoise(blend.imageLatents, blend.noise, nextT);
  // A new array, as diffusers makes a new tensor: a multistep scheduler may still hold the old one.
  const latents = slot.latents;
  const out = new Float32Array(latents.length);
  for (let c = 0; c < LATENT_CHANNELS; c++) {
    const base = c * plane;
    for (let i = 0; i < plane; i++) {
      const m = blend.mask[i];
      out[base + i] = (1 - m) * known[base + i] + m * latents[base + i];
    }
  }
  slot.latents = out;
}

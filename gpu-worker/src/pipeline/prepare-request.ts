import { decodeInputImage } from '../image/decode-input';
import { rgbToPlanar } from '../image/pixels';
import type { LoadedModel } from '../model/load-model';
import type { RunClock } from '../model/run-clock';
import type { VaeEncoding } from '../model/vae';
import { createScheduler, timestepsForStrength } from '../schedulers';
import type { DenoiseSlot } from './denoise';
import { usesGuidance } from './guidance';
import { encodeImage } from './image-latents';
import { binarizeMask, latentMask, maskedImage } from './inpaint-mask';
import { noiseStream } from './noise-stream';
import { PipelineInputError } from './pipeline-input-error';
import type { PromptEncoder } from './prompt-encoder';
import type { ResolvedRequest } from './request';
import { type EncodedInputs, startingDraws } from './starting-noise';
import { type Timings, timed } from './timings';

export interface PrepareContext {
  model: LoadedModel;
  prompts: PromptEncoder;
  clock: RunClock;
  timings: Timings;
  maxInputPixels?: number;
}

export interface PreparedRequest {
  slots: DenoiseSlot[];
  timesteps: number[];
  truncated: { prompt: boolean; negative_prompt: boolean };
}

/** Prompt embeddings, input images and the starting latents of every image of one request. */
export async function prepareRequest(
  ctx: PrepareContext,
  request: ResolvedRequest,
): Promise<PreparedRequest> {
  const { config } = ctx.model;
  const scaling = config.vaeScalingFactor;
  const plane = (request.width / config.vaeSpatialFactor) * (request.height / config.vaeSpatialFactor);
  const cond = await ctx.prompts.encode(request.prompt, ctx.clock, ctx.timings);
  const guided = usesGuidance(request.guidance_scale);
  const uncond = guided
    ? await ctx.prompts.encode(request.negative_prompt, ctx.clock, ctx.timings)
    : undefined;
  const inputs = request.task === 'txt2img' ? undefined : await encodeInputs(ctx, request);
  const slots: DenoiseSlot[] = [];
  let timesteps: number[] = [];
  const schedulerConfig = request.use_karras_sigmas
    ? { ...config.schedulerConfig, use_karras_sigmas: true }
    : config.schedulerConfig;
  for (let k = 0; k < request.num_outputs; k++) {
    const noise = noiseStream(request.seed + k, request.rng);
    const scheduler = createScheduler(request.scheduler, schedulerConfig);
    const draws = startingDraws(noise, request.rng, inputs, {
      latentSize: 4 * plane,
      scaling,
      strength: request.strength,
    });
    const { initial, imageLatents } = draws;
    const slot: DenoiseSlot = {
      scheduler,
      latents: initial,
      noise,
      guidance: request.guidance_scale,
      cond,
      uncond,
    };
    if (!inputs) {
      scheduler.setTimesteps(request.steps);
      timesteps = scheduler.timesteps;
      slot.latents = initial.map((v) => v * scheduler.initNoiseSigma);
    } else {
      // SDEdit (Meng et al. 2021): noise the image to where the shortened schedule starts.
      timesteps = timestepsForStrength(scheduler, request.steps, request.strength).timesteps;
      // diffusers: pure noise at full strength (inpainting may then ignore the image under the mask).
      slot.latents =
        (request.task === 'inpaint' && request.strength === 1) || !imageLatents
          ? initial.map((v) => v * scheduler.initNoiseSigma)
          : scheduler.addNoise(imageLatents, initial, timesteps[0]);
      if (inputs.mask && draws.maskedLatents) {
        slot.extraChannels = new Float32Array(5 * plane);
        slot.extraChannels.set(inputs.mask);
        slot.extraChannels.set(draws.maskedLatents, plane);
      } else if (inputs.mask && imageLatents) {
        slot.blend = { imageLatents, noise: initial, mask: inputs.mask };
      }
    }
    slots.push(slot);
  }
  return {
    slots,
    timesteps,
    truncated: { prompt: cond.truncated, negative_prompt: uncond?.truncated ?? false },
  };
}

/** img2img/inpaint: decode and fit the input image (and mask), then VAE-encode once per request. */
async function encodeInputs(ctx: PrepareContext, request: ResolvedRequest): Promise<EncodedInputs> {
  const vae = ctx.model.vaeEncoder;
  if (!vae)
    throw new PipelineInputError('task', `${request.task} needs vae_encoder/model.onnx in the model folder`);
  const { width, height } = request;
  const limits = { width, height, maxPixels: ctx.maxInputPixels };
  const rgb = await decodeInputImage(request.image as Uint8Array, { ...limits, field: 'image', channels: 3 });
  const planar = rgbToPlanar(rgb, width, height);
  const addVae = (ms: number) => {
    ctx.timings.vaeEncodeMs += ms;
  };
  const image = await timed(addVae, () => encodeImage(vae, planar, width, height, ctx.clock));
  if (request.task !== 'inpaint') return { image };
  const grey = await decodeInputImage(request.mask as Uint8Array, { ...limits, field: 'mask', channels: 1 });
  const pixelMask = binarizeMask(grey);
  const mask = latentMask(pixelMask, width, height, ctx.model.config.vaeSpatialFactor);
  if (ctx.model.unet.inChannels !== 9) return { image, mask };
  const masked = await timed(addVae, () =>
    encodeImage(vae, maskedImage(planar, pixelMask), width, height, ctx.clock),
  );
  return { image, mask, masked };
}

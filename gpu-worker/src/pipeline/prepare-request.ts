import { decodeInputImage } from '../image/decode-input';
import { rgbToPlanar } from '../image/pixels';
import type { LoadedModel } from '../model/load-model';
import type { RunClock } from '../model/run-clock';
import { fixedDim } from '../model/session-metadata';
import { createScheduler, timestepsForStrength } from '../schedulers';
import type { InpaintOverlay } from './apply-overlay';
import type { DenoiseSlot } from './denoise';
import { timestepsFrom, timestepsUntil } from './denoising-split';
import { encodeImage } from './image-latents';
import { binarizeMask, latentMask, maskedImage } from './inpaint-mask';
import { noiseStream } from './noise-stream';
import { PipelineInputError } from './pipeline-input-error';
import { type PromptEmbedding, type PromptEncoder, padToChunks } from './prompt-encoder';
import type { PipelineRequest } from './request';
import { addedConditioning, classifierFreeGuidance } from './sdxl-added';
import { zeroEmbedding } from './sdxl-prompt-encoder';
import { type EncodedInputs, startingDraws } from './starting-noise';
import { type Timings, timed } from './timings';

export interface PrepareContext {
  model: LoadedModel;
  /** A PromptEncoder, or for SDXL exports an SdxlPromptEncoder (both encoders, pooled). */
  prompts: Pick<PromptEncoder, 'encode'>;
  clock: RunClock;
  timings: Timings;
  maxInputPixels?: number;
  /**
   * A refiner's part of a base + refiner job: each image starts from the base's latents at
   * `denoisingStart` (StableDiffusionXLImg2ImgPipeline with denoising_start: no VAE encode, no
   * noise added).
   */
  refineFrom?: RefineFrom;
}

export interface RefineFrom {
  latents: Float32Array[];
  denoisingStart: number;
}

export interface PreparedRequest {
  slots: DenoiseSlot[];
  timesteps: number[];
  truncated: { prompt: boolean; negative_prompt: boolean };
  /** inpaint: the kept pixels, pasted back over the decoded images (apply-overlay.ts). */
  overlay?: InpaintOverlay;
}

/** Prompt embeddings, input images and the starting latents of every image of one request. */
export async function prepareRequest(
  ctx: PrepareContext,
  request: PipelineRequest,
): Promise<PreparedRequest> {
  const { config } = ctx.model;
  const scaling = config.vaeScalingFactor;
  const plane = (request.width / config.vaeSpatialFactor) * (request.height / config.vaeSpatialFactor);
  const { cond, uncond } = await encodePrompts(ctx, request);
  // SDXL's pooled text and time_ids, LCM's guidance embedding: the same for every image of the request.
  // A refiner's pass is diffusers' Img2Img pipeline (image = the base's latents).
  const rules = request.task === 'txt2img' && !ctx.refineFrom ? 'text-to-image' : 'image-to-image';
  const added = addedConditioning(ctx.model, request, cond, uncond, rules);
  const refineFrom = ctx.refineFrom;
  const inputs = request.task === 'txt2img' || refineFrom ? undefined : await encodeInputs(ctx, request);
  const numTrainTimesteps =
    typeof config.schedulerConfig.num_train_timesteps === 'number'
      ? config.schedulerConfig.num_train_timesteps
      : 1000;
  const slots: DenoiseSlot[] = [];
  let timesteps: number[] = [];
  const schedulerConfig = request.use_karras_sigmas
    ? { ...config.schedulerConfig, use_karras_sigmas: true }
    : config.schedulerConfig;
  // The resolver fills rng for every new job; one stored before the field existed reads as the default.
  const rng = request.rng ?? 'torch';
  for (let k = 0; k < request.num_outputs; k++) {
    const noise = noiseStream(request.seed + k, rng);
    const scheduler = createScheduler(request.scheduler, schedulerConfig);
    if (refineFrom) {
      timesteps = timestepsFrom(scheduler, request.steps, refineFrom.denoisingStart, numTrainTimesteps);
      slots.push({
        scheduler,
        latents: refineFrom.latents[k].slice(),
        noise,
        guidance: request.guidance_scale,
        guidanceRescale: request.guidance_rescale ?? 0,
        cond,
        uncond,
        ...(added ? { added } : {}),
      });
      continue;
    }
    const draws = startingDraws(noise, rng, inputs, {
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
      guidanceRescale: request.guidance_rescale ?? 0,
      cond,
      uncond,
      ...(added ? { added } : {}),
    };
    if (!inputs) {
      // Base of a base + refiner job: stop at denoising_end (the refiner goes on from there).
      if (request.denoising_end !== undefined && request.refiner !== undefined) {
        timesteps = timestepsUntil(scheduler, request.steps, request.denoising_end, numTrainTimesteps);
      } else {
        scheduler.setTimesteps(request.steps);
        timesteps = scheduler.timesteps;
      }
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
    ...(inputs?.overlay ? { overlay: inputs.overlay } : {}),
  };
}

/**
 * The prompt's and (with guidance) the negative prompt's embeddings, padded to the same
 * number of chunks; both rows share one UNet batch, so their sequence lengths must agree.
 */
async function encodePrompts(
  ctx: PrepareContext,
  request: PipelineRequest,
): Promise<{ cond: PromptEmbedding; uncond?: PromptEmbedding }> {
  const clipSkip = request.clip_skip ?? 0;
  let cond = await ctx.prompts.encode(request.prompt, ctx.clock, ctx.timings, 'prompt', clipSkip);
  const forceZeros = ctx.model.sdxl?.forceZerosForEmptyPrompt && request.negative_prompt === '';
  // diffusers' SDXL encode_prompt applies clip_skip to the prompt only: the negative prompt
  // always takes hidden_states[-2].
  const negativeClipSkip = ctx.model.sdxl ? 0 : clipSkip;
  let uncond = !classifierFreeGuidance(ctx.model, request.guidance_scale)
    ? undefined
    : forceZeros
      ? zeroEmbedding(cond)
      : await ctx.prompts.encode(
          request.negative_prompt,
          ctx.clock,
          ctx.timings,
          'negative_prompt',
          negativeClipSkip,
        );
  const fixed = fixedDim(ctx.model.unet.states, 1);
  if (fixed !== undefined) {
    // An export with a fixed text length (77) takes one chunk: 75 tokens.
    for (const [field, embedding] of [
      ['prompt', cond],
      ['negative_prompt', uncond],
    ] as const) {
      if (embedding && embedding.sequence !== fixed) {
        throw new PipelineInputError(
          field,
          `has ${embedding.tokenCount} tokens; this model's UNet export is fixed to ${fixed} text positions (${fixed - 2} tokens)`,
          fixed - 2,
        );
      }
    }
  }
  if (uncond && uncond.chunks !== cond.chunks) {
    const chunks = Math.max(cond.chunks, uncond.chunks);
    const empty = await ctx.prompts.encode('', ctx.clock, ctx.timings, 'negative_prompt', clipSkip);
    const emptyNegative =
      negativeClipSkip === clipSkip
        ? empty
        : await ctx.prompts.encode('', ctx.clock, ctx.timings, 'negative_prompt', negativeClipSkip);
    cond = padToChunks(cond, chunks, empty);
    uncond = padToChunks(uncond, chunks, emptyNegative);
  }
  return { cond, uncond };
}

/** img2img/inpaint: decode and fit the input image (and mask), then VAE-encode once per request. */
async function encodeInputs(ctx: PrepareContext, request: PipelineRequest): Promise<EncodedInputs> {
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
  const overlay = { rgb, mask: pixelMask };
  if (ctx.model.unet.inChannels !== 9) return { image, mask, overlay };
  const masked = await timed(addVae, () =>
    encodeImage(vae, maskedImage(planar, pixelMask), width, height, ctx.clock),
  );
  return { image, mask, masked, overlay };
}

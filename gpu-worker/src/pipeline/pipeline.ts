import { basename, resolve } from 'node:path';
import { LIMITS } from '@ldm/shared';
import { decodeInputImage } from '../image/decode-input';
import { rgbToPlanar } from '../image/pixels';
import type { SessionOptions } from '../model/create-session';
import { type LoadedModel, loadModel } from '../model/load-model';
import { RunClock } from '../model/run-clock';
import type { VaeEncoding } from '../model/vae';
import { createScheduler, timestepsForStrength } from '../schedulers';
import type { TokenizedPrompt } from '../tokenizer';
import { decodeLatents } from './decode-latents';
import { type DenoiseSlot, denoise } from './denoise';
import { usesGuidance } from './guidance';
import { encodeImage, sampleLatents } from './image-latents';
import { binarizeMask, latentMask, maskedImage } from './inpaint-mask';
import { noiseStream } from './noise-stream';
import { PipelineInputError } from './pipeline-input-error';
import { PromptEncoder } from './prompt-encoder';
import { type PipelineRequest, type PipelineTask, type ResolvedRequest, resolveRequest } from './request';
import { schedulerForClass } from './scheduler-for-class';
import { emptyTimings, type Timings, timed } from './timings';

export interface LoadPipelineOptions extends SessionOptions {
  /** Largest width x height accepted (default 2048 x 2048). */
  maxPixels?: number;
  /** Largest input image (image/mask) decoded, in pixels (default 4096 x 4096). */
  maxInputPixels?: number;
  /** Prompts whose embeddings are kept (default 64; 0 disables). */
  embeddingCacheSize?: number;
}

export interface PipelineInfo {
  name: string;
  dir: string;
  provider: 'cpu' | 'cuda';
  nativeWidth: number;
  nativeHeight: number;
  /** Pixels per latent (VAE). Width and height must be multiples of it (and of 8). */
  spatialFactor: number;
  unetInChannels: number;
  vaeScalingFactor: number;
  tasks: readonly PipelineTask[];
  defaultScheduler: string;
  maxPixels: number;
  /** Set when the export only runs at one size. */
  fixedSize?: { width: number; height: number };
}

export interface ProgressEvent {
  step: number;
  total: number;
}

export interface GenerateOptions {
  onProgress?: (event: ProgressEvent) => void;
  /** Checked between steps; aborting rejects with GenerationCanceledError. */
  signal?: AbortSignal;
  /** Items per UNet call (benchmarks: 1 = CFG as two separate runs). Default: one call per step. */
  unetBatchLimit?: number;
  /** Also return each image's final latents (scaled, before VAE decode). */
  keepLatents?: boolean;
}

export interface GeneratedImage {
  /** Interleaved 8-bit RGB, row-major. */
  rgb: Uint8Array;
  width: number;
  height: number;
  seed: number;
  /** Final latents [4, height / f, width / f], when `keepLatents` was set. */
  latents?: Float32Array;
}

export interface GenerateResult {
  images: GeneratedImage[];
  /** The request with every default filled in (what went into the image metadata). */
  request: ResolvedRequest;
  /** Prompts longer than the text encoder's window lose their tail. */
  truncated: { prompt: boolean; negative_prompt: boolean };
  /** For a batch, the timings of the whole batch (shared by its results). */
  timings: Timings;
}

/** Requests with equal keys share timesteps and latent size, so they can go through the UNet together. */
export function batchKey(request: ResolvedRequest): string {
  const start = request.task === 'txt2img' ? 'full' : `strength=${request.strength}`;
  return `${request.width}x${request.height}|${request.scheduler}|${request.steps}|${start}`;
}

/**
 * A loaded latent diffusion model: tokenize -> text encoder -> UNet x steps with a scheduler
 * and classifier-free guidance -> VAE decode. Calls are serialised (one at a time per model),
 * since they would only compete for the same cores or GPU.
 */
export class LatentDiffusionPipeline {
  readonly info: PipelineInfo;
  private readonly prompts: PromptEncoder;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LoadedModel,
    private readonly options: LoadPipelineOptions = {},
  ) {
    const { config, unet, vaeEncoder } = model;
    const f = config.vaeSpatialFactor;
    const fixed = unet.fixedLatentSize
      ? { width: unet.fixedLatentSize.width * f, height: unet.fixedLatentSize.height * f }
      : undefined;
    const native = (config.unetSampleSize ?? 64) * f;
    const tasks: PipelineTask[] =
      unet.inChannels === 9 ? ['inpaint'] : vaeEncoder ? ['txt2img', 'img2img', 'inpaint'] : ['txt2img'];
    if (unet.inChannels === 9 && !vaeEncoder) {
      throw new PipelineInputError('model', 'an inpainting (9-channel) UNet needs vae_encoder/model.onnx');
    }
    this.info = {
      name: basename(resolve(model.dir)),
      dir: model.dir,
      provider: model.provider,
      nativeWidth: fixed?.width ?? native,
      nativeHeight: fixed?.height ?? native,
      spatialFactor: f,
      unetInChannels: unet.inChannels,
      vaeScalingFactor: config.vaeScalingFactor,
      tasks,
      defaultScheduler: schedulerForClass(config.schedulerClass, config.schedulerConfig),
      maxPixels: options.maxPixels ?? LIMITS.dimensionMax * LIMITS.dimensionMax,
      fixedSize: fixed,
    };
    this.prompts = new PromptEncoder(model.tokenizer, model.textEncoder, options.embeddingCacheSize ?? 64);
  }

  /** The ids the text encoder gets for a prompt (framed, padded), and whether it was truncated. */
  tokenize(text: string): TokenizedPrompt {
    return this.model.tokenizer.encode(text);
  }

  /** Fills defaults and validates without running anything (errors name the field). */
  resolve(request: PipelineRequest): ResolvedRequest {
    return resolveRequest(request, this.info);
  }

  async generate(request: PipelineRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    const [result] = await this.generateBatch([request], options);
    return result;
  }

  /**
   * Several requests through the UNet as one batch. They must share a batchKey (size,
   * scheduler, steps, strength); prompts, seeds, guidance and tasks may differ.
   */
  generateBatch(requests: PipelineRequest[], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    const run = this.queue.then(() => this.run(requests, options));
    this.queue = run.catch(() => {});
    return run;
  }

  release(): Promise<void> {
    return this.model.release();
  }

  private async run(requests: PipelineRequest[], options: GenerateOptions): Promise<GenerateResult[]> {
    const started = performance.now();
    if (requests.length === 0) throw new PipelineInputError('requests', 'at least one request is needed');
    const resolved = requests.map((r) => this.resolve(r));
    for (const r of resolved) createScheduler(r.scheduler, this.model.config.schedulerConfig); // fail fast on a bad name
    const key = batchKey(resolved[0]);
    resolved.forEach((r, i) => {
      if (batchKey(r) !== key) {
        throw new PipelineInputError(
          `requests.${i}`,
          `cannot share a batch: ${batchKey(r)} differs from ${key}`,
        );
      }
    });
    const clock = new RunClock();
    const timings = emptyTimings();
    const f = this.info.spatialFactor;
    const latentHeight = resolved[0].height / f;
    const latentWidth = resolved[0].width / f;

    const perRequest: { slots: DenoiseSlot[]; truncated: GenerateResult['truncated'] }[] = [];
    let timesteps: number[] = [];
    for (const request of resolved) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      const prepared = await this.prepare(request, clock, timings, latentWidth * latentHeight);
      timesteps = prepared.timesteps;
      perRequest.push(prepared);
    }
    const slots = perRequest.flatMap((p) => p.slots);
    await denoise(slots, {
      unet: this.model.unet,
      clock,
      timings,
      latentHeight,
      latentWidth,
      timesteps,
      signal: options.signal,
      onStep: (step, total) => options.onProgress?.({ step, total }),
      unetBatchLimit: options.unetBatchLimit,
    });

    const results: GenerateResult[] = [];
    for (const [i, request] of resolved.entries()) {
      const images: GeneratedImage[] = [];
      for (const [k, slot] of perRequest[i].slots.entries()) {
        const image = await timed(
          (ms) => {
            timings.vaeDecodeMs += ms;
          },
          () =>
            decodeLatents(
              this.model.vaeDecoder,
              slot.latents,
              latentHeight,
              latentWidth,
              this.info.vaeScalingFactor,
              clock,
            ),
        );
        images.push({
          ...image,
          seed: request.seed + k,
          ...(options.keepLatents ? { latents: slot.latents } : {}),
        });
      }
      results.push({ images, request, truncated: perRequest[i].truncated, timings });
    }
    timings.totalMs = performance.now() - started;
    timings.onnxRunMs = clock.runMs;
    timings.onnxRuns = clock.runs;
    return results;
  }

  /** Prompt embeddings, input images and the starting latents of every image of one request. */
  private async prepare(request: ResolvedRequest, clock: RunClock, timings: Timings, plane: number) {
    const cond = await this.prompts.encode(request.prompt, clock, timings);
    const guided = usesGuidance(request.guidance_scale);
    const uncond = guided ? await this.prompts.encode(request.negative_prompt, clock, timings) : undefined;
    const inputs = request.task === 'txt2img' ? undefined : await this.encodeInputs(request, clock, timings);
    const schedulerConfig = this.model.config.schedulerConfig;
    const slots: DenoiseSlot[] = [];
    let timesteps: number[] = [];
    for (let k = 0; k < request.num_outputs; k++) {
      const noise = noiseStream(request.seed + k);
      const scheduler = createScheduler(request.scheduler, schedulerConfig);
      const initial = noise.randn(4 * plane);
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
        timesteps = timestepsForStrength(scheduler, request.steps, request.strength).timesteps;
        const imageLatents = sampleLatents(inputs.image, noise, this.info.vaeScalingFactor);
        // diffusers: pure noise at full strength (inpainting may then ignore the image under the mask).
        slot.latents =
          request.task === 'inpaint' && request.strength === 1
            ? initial.map((v) => v * scheduler.initNoiseSigma)
            : scheduler.addNoise(imageLatents, initial, timesteps[0]);
        if (inputs.mask && inputs.masked) {
          const masked = sampleLatents(inputs.masked, noise, this.info.vaeScalingFactor);
          slot.extraChannels = new Float32Array(5 * plane);
          slot.extraChannels.set(inputs.mask);
          slot.extraChannels.set(masked, plane);
        } else if (inputs.mask) {
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
  private async encodeInputs(
    request: ResolvedRequest,
    clock: RunClock,
    timings: Timings,
  ): Promise<{ image: VaeEncoding; mask?: Float32Array; masked?: VaeEncoding }> {
    const vae = this.model.vaeEncoder;
    if (!vae)
      throw new PipelineInputError(
        'task',
        `${request.task} needs vae_encoder/model.onnx in the model folder`,
      );
    const { width, height } = request;
    const limits = { width, height, maxPixels: this.options.maxInputPixels };
    const rgb = await decodeInputImage(request.image as Uint8Array, {
      ...limits,
      field: 'image',
      channels: 3,
    });
    const planar = rgbToPlanar(rgb, width, height);
    const addVae = (ms: number) => {
      timings.vaeEncodeMs += ms;
    };
    const image = await timed(addVae, () => encodeImage(vae, planar, width, height, clock));
    if (request.task !== 'inpaint') return { image };
    const grey = await decodeInputImage(request.mask as Uint8Array, {
      ...limits,
      field: 'mask',
      channels: 1,
    });
    const pixelMask = binarizeMask(grey);
    const mask = latentMask(pixelMask, width, height, this.info.spatialFactor);
    if (this.model.unet.inChannels !== 9) return { image, mask };
    const masked = await timed(addVae, () =>
      encodeImage(vae, maskedImage(planar, pixelMask), width, height, clock),
    );
    return { image, mask, masked };
  }
}

export async function loadPipeline(
  dir: string,
  options: LoadPipelineOptions = {},
): Promise<LatentDiffusionPipeline> {
  return new LatentDiffusionPipeline(await loadModel(dir, options), options);
}

import { basename, resolve } from 'node:path';
import { decodeInputImage, type ImageHeader, readImageHeader } from '../image/decode-input';
import { planarToRgb, rgbToPlanar } from '../image/pixels';
import type { ProviderName, SessionOptions } from '../model/create-session';
import { RunClock } from '../model/run-clock';
import { guide, usesGuidance } from '../pipeline/guidance';
import { noiseStream } from '../pipeline/noise-stream';
import { GenerationCanceledError, PipelineInputError } from '../pipeline/pipeline-input-error';
import { PromptEncoder } from '../pipeline/prompt-encoder';
import { schedulerForClass } from '../pipeline/scheduler-for-class';
import { emptyTimings, type Timings, timed } from '../pipeline/timings';
import type { GeneratedImage, GenerateOptions } from '../pipeline/types';
import { createScheduler, type Scheduler } from '../schedulers';
import { type LoadedUpscaleModel, loadUpscaleModel } from './load-upscale-model';
import { noiseLowRes } from './low-res-noise';
import { DEFAULT_TILES, type TileOptions, tiledDecode } from './tiled-decode';
import { writeUpscaleLatents, writeUpscaleNoisedImages } from './unet-input';
import { checkUpscale, resolveUpscale, type UpscaleFields, type UpscaleRequest } from './upscale-request';

/** Input sides are rounded down to a multiple of this (the UNet halves the latents up to 3 times). */
export const INPUT_MULTIPLE = 8;
/** Largest input by default: 512 x 512 -> 2048 x 2048 output. */
export const DEFAULT_MAX_UPSCALE_INPUT_PIXELS = 512 * 512;

export interface UpscalePipelineOptions extends SessionOptions {
  /** Largest input (width x height) the model upscales; more is a 422 naming this limit. */
  maxInputPixels?: number;
  embeddingCacheSize?: number;
  /** Default steps / guidance for requests that name none (a catalog entry's defaults). */
  defaultSteps?: number;
  defaultGuidanceScale?: number;
  tiles?: TileOptions;
}

export interface UpscaleInfo {
  name: string;
  dir: string;
  provider: ProviderName;
  tasks: readonly ['upscale'];
  /** Output pixels per input pixel along each side. */
  scale: number;
  maxNoiseLevel: number;
  maxInputPixels: number;
  vaeScalingFactor: number;
  defaultScheduler: string;
}

export interface UpscaleResult {
  images: GeneratedImage[];
  request: UpscaleRequest;
  /** The input after rounding its sides down to a multiple of 8. */
  input: { width: number; height: number };
  truncated: { prompt: boolean; negative_prompt: boolean };
  timings: Timings;
  /** VAE tiles decoded per image. */
  tiles: number;
}

interface Slot {
  scheduler: Scheduler;
  latents: Float32Array;
  noisedImage: Float32Array;
  noise: ReturnType<typeof noiseStream>;
}

/**
 * Stable Diffusion's x4 upscaler, step by step as diffusers' StableDiffusionUpscalePipeline:
 * encode the prompt (and the negative prompt for classifier-free guidance); the low-resolution
 * image in [-1, 1] noised by `low_res_scheduler` at `noise_level`; latents of the image's size
 * from N(0, 1) x init_noise_sigma; each step the scaled latents and the noised image concatenated
 * (7 channels), `class_labels` = noise_level, guidance, scheduler step; then latents / the VAE's
 * scaling factor decoded (in tiles) to 4x the input.
 */
export class UpscalePipeline {
  readonly info: UpscaleInfo;
  private readonly prompts: PromptEncoder;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LoadedUpscaleModel,
    private readonly options: UpscalePipelineOptions = {},
  ) {
    const { config } = model;
    this.info = {
      name: basename(resolve(model.dir)),
      dir: model.dir,
      provider: model.provider,
      tasks: ['upscale'],
      scale: config.scale,
      maxNoiseLevel: config.maxNoiseLevel,
      maxInputPixels: options.maxInputPixels ?? DEFAULT_MAX_UPSCALE_INPUT_PIXELS,
      vaeScalingFactor: config.vaeScalingFactor,
      defaultScheduler: schedulerForClass(config.schedulerClass, config.schedulerConfig).scheduler,
    };
    this.prompts = new PromptEncoder(model.tokenizer, model.textEncoder, options.embeddingCacheSize ?? 64);
  }

  resolve(fields: UpscaleFields): UpscaleRequest {
    return resolveUpscale(fields, {
      steps: this.options.defaultSteps,
      guidance_scale: this.options.defaultGuidanceScale,
      scheduler: this.info.defaultScheduler,
    });
  }

  /** The low-resolution size the request will run at, or a 422 naming the limit. */
  async inputSize(image: Uint8Array): Promise<{ width: number; height: number }> {
    const { width, height } = await this.inputHeader(image);
    return { width, height };
  }

  /** inputSize and the format the header names (so the decode parses the bytes once less). */
  private async inputHeader(image: Uint8Array): Promise<ImageHeader> {
    const size = await readImageHeader(image);
    if (!size) throw new PipelineInputError('image', 'is not a readable PNG, JPEG or WebP image');
    const limit = this.info.maxInputPixels;
    if (size.width * size.height > limit) {
      const side = Math.floor(Math.sqrt(limit));
      throw new PipelineInputError(
        'image',
        `is ${size.width}x${size.height}; this model upscales at most ${limit} input pixels (${side}x${side} -> ${side * this.info.scale}x${side * this.info.scale})`,
        limit,
      );
    }
    const width = Math.floor(size.width / INPUT_MULTIPLE) * INPUT_MULTIPLE;
    const height = Math.floor(size.height / INPUT_MULTIPLE) * INPUT_MULTIPLE;
    if (width === 0 || height === 0) {
      throw new PipelineInputError(
        'image',
        `is ${size.width}x${size.height}; each side must be at least ${INPUT_MULTIPLE}`,
        INPUT_MULTIPLE,
      );
    }
    return { width, height, format: size.format };
  }

  upscale(request: UpscaleRequest, options: GenerateOptions = {}): Promise<UpscaleResult> {
    const run = this.queue.then(() => this.run(request, options));
    this.queue = run.catch(() => {});
    return run;
  }

  release(): Promise<void> {
    return this.model.release();
  }

  private async run(request: UpscaleRequest, options: GenerateOptions): Promise<UpscaleResult> {
    const started = performance.now();
    checkUpscale(request, this.info.maxNoiseLevel);
    createScheduler(request.scheduler, this.model.config.schedulerConfig); // a bad name is a 422 before any work
    // sharp reads the header, then decodes, on libuv's thread pool while this thread runs the text
    // encoder and then draws the noise: fixed costs per image that would otherwise add to the
    // time outside run(). Each promise is awaited below; the catch only keeps an earlier failure
    // from leaving it unhandled.
    const header = this.inputHeader(request.image);
    header.catch(() => {});
    const clock = new RunClock();
    const timings = emptyTimings();
    const { unet, config } = this.model;
    const guided = usesGuidance(request.guidance_scale);
    const cond = await this.prompts.encode(request.prompt, clock, timings);
    const uncond = guided ? await this.prompts.encode(request.negative_prompt, clock, timings) : undefined;
    const { width, height, format } = await header;
    const decoding = decodeInputImage(request.image, { field: 'image', width, height, channels: 3, format });
    decoding.catch(() => {});
    const plane = width * height;

    // diffusers' ONNX pipeline draws the latents first, then the image noise, from one generator.
    const draws = Array.from({ length: request.num_outputs }, (_, k) => {
      const noise = noiseStream(request.seed + k);
      const scheduler = createScheduler(request.scheduler, config.schedulerConfig);
      scheduler.setTimesteps(request.steps);
      const latents = noise.randn(config.latentChannels * plane);
      return { noise, scheduler, latents, imageNoise: noise.randn(3 * plane) };
    });
    const image = rgbToPlanar(await decoding, width, height);
    const slots: Slot[] = draws.map(({ noise, scheduler, latents, imageNoise }) => ({
      scheduler,
      latents: latents.map((v) => v * scheduler.initNoiseSigma),
      noisedImage: noiseLowRes(config.lowResSchedule, image, imageNoise, request.noise_level),
      noise,
    }));

    const rowsPer = guided ? 2 : 1;
    const rows = slots.length * rowsPer;
    const { sequence, hidden } = cond;
    const statesData = new Float32Array(rows * sequence * hidden);
    for (let r = 0; r < rows; r++) {
      const embedding = guided && r % 2 === 0 ? (uncond ?? cond) : cond;
      statesData.set(embedding.data, r * sequence * hidden);
    }
    const states = unet.statesTensor(statesData, [rows, sequence, hidden]);
    const levels = new Array<number>(rows).fill(request.noise_level);
    const sample = new Float32Array(rows * 7 * plane);
    // The noised low-res image is constant over the loop: written once, only the latents per step.
    writeUpscaleNoisedImages(
      slots.map((slot) => slot.noisedImage),
      guided,
      plane,
      sample,
    );
    const timesteps = slots[0].scheduler.timesteps;
    timings.unetBatchSize = rows;
    for (const [step, t] of timesteps.entries()) {
      if (options.signal?.aborted) throw new GenerationCanceledError(step);
      let s = performance.now();
      const scaled = slots.map((slot) => slot.scheduler.scaleModelInput(slot.latents, t));
      writeUpscaleLatents(scaled, guided, plane, sample);
      timings.schedulerMs += performance.now() - s;
      const u = performance.now();
      const prediction = await unet.predict(sample, [rows, 7, height, width], t, states, levels, clock);
      timings.unetStepMs.push(performance.now() - u);
      timings.unetRuns += 1;
      s = performance.now();
      const item = 4 * plane;
      slots.forEach((slot, i) => {
        const at = i * rowsPer * item;
        const out = guided
          ? guide(
              prediction.subarray(at, at + item),
              prediction.subarray(at + item, at + 2 * item),
              request.guidance_scale,
            )
          : prediction.slice(at, at + item);
        slot.latents = slot.scheduler.step(out, t, slot.latents, { generator: slot.noise });
      });
      timings.schedulerMs += performance.now() - s;
      options.onProgress?.({ step: step + 1, total: timesteps.length });
    }

    const images: GeneratedImage[] = [];
    let tiles = 0;
    for (const [k, slot] of slots.entries()) {
      const decoded = await timed(
        (ms) => {
          timings.vaeDecodeMs += ms;
        },
        () =>
          tiledDecode(
            this.model.vaeDecoder,
            slot.latents.map((v) => v / config.vaeScalingFactor),
            height,
            width,
            config.scale,
            clock,
            this.options.tiles ?? DEFAULT_TILES,
          ),
      );
      tiles = decoded.tiles;
      images.push({
        rgb: planarToRgb(decoded.planes, decoded.width, decoded.height),
        width: decoded.width,
        height: decoded.height,
        seed: request.seed + k,
        ...(options.keepLatents ? { latents: slot.latents } : {}),
      });
    }
    timings.totalMs = performance.now() - started;
    timings.onnxRunMs = clock.runMs;
    timings.onnxRuns = clock.runs;
    return {
      images,
      request,
      input: { width, height },
      truncated: { prompt: cond.truncated, negative_prompt: uncond?.truncated ?? false },
      timings,
      tiles,
    };
  }
}

export async function loadUpscalePipeline(
  dir: string,
  options: UpscalePipelineOptions = {},
): Promise<UpscalePipeline> {
  return new UpscalePipeline(await loadUpscaleModel(dir, options), options);
}

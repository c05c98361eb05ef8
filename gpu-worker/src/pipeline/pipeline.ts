import { basename, resolve } from 'node:path';
import { LIMITS, type ModelDefaults, resolveRequest, type SafetyMode, type SCHEDULERS } from '@ldm/shared';
import { inputImageSize } from '../image/decode-input';
import { type LoadedModel, loadModel } from '../model/load-model';
import { ModelFolderError } from '../model/model-folder-error';
import { RunClock } from '../model/run-clock';
import { createScheduler, isSchedulerName } from '../schedulers';
import type { TokenizedPrompt } from '../tokenizer';
import { applyOverlay } from './apply-overlay';
import { batchKey } from './batch-key';
import { decodeLatents } from './decode-latents';
import { type DenoiseSlot, denoise } from './denoise';
import { GenerationCanceledError, PipelineInputError } from './pipeline-input-error';
import { type PreparedRequest, prepareRequest } from './prepare-request';
import { PromptEncoder } from './prompt-encoder';
import { checkRequest, type PipelineRequest, type PipelineTask, type StandaloneRequest } from './request';
import { applySafety } from './safety';
import { schedulerForClass } from './scheduler-for-class';
import { checkSdxlFields } from './sdxl-added';
import { SdxlPromptEncoder } from './sdxl-prompt-encoder';
import { emptyTimings, timed } from './timings';
import type {
  GeneratedImage,
  GenerateOptions,
  GenerateResult,
  LoadPipelineOptions,
  PipelineInfo,
} from './types';

/** diffusers' StableDiffusionXLPipeline and its img2img/inpaint siblings: guidance_scale=5.0. */
export const SDXL_DEFAULT_GUIDANCE_SCALE = 5;
/** StableDiffusionXLImg2ImgPipeline strength=0.3, StableDiffusionXLInpaintPipeline strength=0.9999. */
export const SDXL_DEFAULT_STRENGTH = { img2img: 0.3, inpaint: 0.9999 };

/**
 * A loaded latent diffusion model: tokenize -> text encoder -> UNet x steps with a scheduler
 * and classifier-free guidance -> VAE decode. Calls are serialised (one at a time per model),
 * since they would only compete for the same cores or GPU.
 */
export class LatentDiffusionPipeline {
  readonly info: PipelineInfo;
  private readonly prompts: Pick<PromptEncoder, 'encode'>;
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
      throw new ModelFolderError(
        'vae_encoder/model.onnx',
        'missing (an inpainting, 9-channel UNet needs it)',
      );
    }
    const ownScheduler = schedulerForClass(config.schedulerClass, config.schedulerConfig);
    if (!ownScheduler.equivalent) {
      // Not silent: the model's images will differ from diffusers' unless requests name a scheduler.
      (options.log ?? ((message: string) => console.warn(message)))(
        `scheduler/scheduler_config.json: ${ownScheduler.reason}; requests without a scheduler use ${ownScheduler.scheduler}`,
        'warn',
      );
    }
    this.info = {
      name: basename(resolve(model.dir)),
      dir: model.dir,
      provider: model.provider,
      nativeWidth: fixed?.width ?? native,
      nativeHeight: fixed?.height ?? native,
      spatialFactor: f,
      unetInChannels: unet.inChannels,
      family: model.sdxl ? (model.sdxl.requiresAestheticsScore ? 'sdxl-refiner' : 'sdxl') : 'sd',
      vaeScalingFactor: config.vaeScalingFactor,
      tasks,
      defaultScheduler: ownScheduler.scheduler,
      schedulerClass: ownScheduler.className,
      schedulerClassSupported: ownScheduler.equivalent,
      clipSkipMax: model.sdxl
        ? Math.min(model.sdxl.textEncoder.clipSkipMax, model.sdxl.textEncoder2.clipSkipMax)
        : model.textEncoder.clipSkipMax,
      hasSafetyChecker: model.safetyChecker !== undefined,
      maxPixels: options.maxPixels ?? LIMITS.dimensionMax * LIMITS.dimensionMax,
      fixedSize: fixed,
    };
    const cacheSize = options.embeddingCacheSize ?? 64;
    this.prompts = model.sdxl
      ? new SdxlPromptEncoder(model.tokenizer, model.sdxl, cacheSize)
      : new PromptEncoder(model.tokenizer, model.textEncoder, cacheSize);
    if (
      model.sdxl?.vaeForceUpcast &&
      model.vaeDecoder.session.inputMetadata.some((m) => m.isTensor && m.type === 'float16')
    ) {
      // diffusers upcasts such a VAE to float32 (the SDXL VAE overflows in float16); an ONNX
      // graph's types are fixed at export, so the operator has to export it in float32.
      (options.log ?? ((message: string) => console.warn(message)))(
        'vae_decoder/model.onnx: float16, but its config says force_upcast (diffusers decodes in float32); export the VAE in float32 or use an fp16-fixed VAE, or images may be black',
        'warn',
      );
    }
  }

  /** The ids the text encoder gets for a prompt (framed, padded), and whether it was truncated. */
  tokenize(text: string): TokenizedPrompt {
    return this.model.tokenizer.encode(text);
  }

  /**
   * The loaded export as `@ldm/shared`'s resolver sees a model: its native size and scheduler;
   * steps and guidance come from the shared defaults (an export has no catalog entry).
   */
  get requestDefaults(): ModelDefaults {
    const fixed = this.info.fixedSize;
    const multiple = Math.max(LIMITS.dimensionMultiple, this.info.spatialFactor);
    return {
      native_width: this.info.nativeWidth,
      native_height: this.info.nativeHeight,
      min_size: fixed ? Math.min(fixed.width, fixed.height) : multiple,
      max_size: fixed ? Math.max(fixed.width, fixed.height) : LIMITS.dimensionMax,
      max_pixels: this.info.maxPixels,
      default_scheduler: this.info.defaultScheduler as (typeof SCHEDULERS)[number],
      size_multiple: multiple,
      // StableDiffusionXL[Img2Img]Pipeline's default guidance_scale is 5.0 (SD's 7.5).
      ...(this.info.family === 'sd'
        ? {}
        : { default_guidance_scale: SDXL_DEFAULT_GUIDANCE_SCALE, default_strength: SDXL_DEFAULT_STRENGTH }),
    };
  }

  /**
   * For standalone callers (CLI, benchmarks, tests): fills a request's defaults with
   * `@ldm/shared`'s `resolveRequest`, the one the edge uses, the input image's header giving the
   * img2img/inpaint output size. A worker never calls this: its jobs come resolved.
   */
  async resolve(fields: StandaloneRequest): Promise<PipelineRequest> {
    const fixed = this.info.fixedSize;
    const size = fields.image ? await inputImageSize(fields.image, this.options.maxInputPixels) : undefined;
    const { scheduler, ...rest } = fields;
    const resolved = resolveRequest({ ...(fixed ?? {}), ...rest }, this.requestDefaults, size);
    // An unknown scheduler name passes through: run() reports it as a SchedulerConfigError.
    const named = scheduler === undefined ? {} : { scheduler: scheduler as PipelineRequest['scheduler'] };
    return { ...resolved, ...named, image: fields.image, mask: fields.mask };
  }

  /** Checks a resolved request against this model without running anything (errors name the field). */
  check(request: PipelineRequest): void {
    checkRequest(request, this.info);
    checkSdxlFields(this.model, request);
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

  /** The job's mode (the account's or the catalog's, resolved by the edge), else this worker's setting, else block. */
  private safetyModeOf(request: PipelineRequest): SafetyMode {
    return request.safety_checker ?? this.options.safetyChecker ?? 'block';
  }

  release(): Promise<void> {
    return this.model.release();
  }

  private async run(requests: PipelineRequest[], options: GenerateOptions): Promise<GenerateResult[]> {
    const started = performance.now();
    if (requests.length === 0) throw new PipelineInputError('requests', 'at least one request is needed');
    for (const r of requests) this.check(r);
    const resolved = requests;
    for (const r of resolved) {
      if (!isSchedulerName(r.scheduler)) createScheduler(r.scheduler); // throws SchedulerConfigError naming the field
    }
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

    const context = {
      model: this.model,
      prompts: this.prompts,
      clock,
      timings,
      maxInputPixels: this.options.maxInputPixels,
      refineFrom: options.refineFrom,
    };
    if (options.refineFrom) {
      // One request at a time: latents[k] is image k of that request.
      const wanted = resolved.length === 1 ? resolved[0].num_outputs : -1;
      if (options.refineFrom.latents.length !== wanted) {
        throw new PipelineInputError(
          'refiner',
          `got ${options.refineFrom.latents.length} latents for ${wanted} images`,
        );
      }
    }
    if (options.signal?.aborted) throw new GenerationCanceledError(0);
    const perRequest: PreparedRequest[] = [];
    for (const request of resolved) perRequest.push(await prepareRequest(context, request));
    const timesteps = perRequest[0].timesteps;
    // Rows of one UNet call share a text length: prompts of different chunk counts run as
    // separate loops (padding them with empty chunks would change their images).
    const groups = groupBySequence(perRequest.flatMap((p) => p.slots));
    for (const [g, slots] of groups.entries()) {
      await denoise(slots, {
        unet: this.model.unet,
        clock,
        timings,
        latentHeight,
        latentWidth,
        timesteps,
        signal: options.signal,
        // One progress scale over every loop: steps done in all groups, scaled to `total`.
        onStep: (step, total) =>
          options.onProgress?.({ step: Math.floor((g * total + step) / groups.length), total }),
        unetBatchLimit: options.unetBatchLimit,
      });
    }

    const results: GenerateResult[] = [];
    for (const [i, request] of resolved.entries()) {
      const images: GeneratedImage[] = [];
      for (const [k, slot] of perRequest[i].slots.entries()) {
        if (options.latentsOnly) {
          const size = { width: request.width, height: request.height };
          images.push({ rgb: new Uint8Array(0), ...size, seed: request.seed + k, latents: slot.latents });
          continue;
        }
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
        // Kept pixels are pasted back first, so the checker sees (and blurs or blocks) the final image.
        const overlay = perRequest[i].overlay;
        const composed = overlay ? { ...image, rgb: applyOverlay(image.rgb, overlay) } : image;
        const checked = await timed(
          (ms) => {
            timings.safetyCheckMs += ms;
          },
          () => applySafety(composed, this.safetyModeOf(request), this.model.safetyChecker, clock),
        );
        images.push({
          ...composed,
          ...checked,
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
}

function groupBySequence(slots: DenoiseSlot[]): DenoiseSlot[][] {
  const groups = new Map<number, DenoiseSlot[]>();
  for (const slot of slots) {
    const group = groups.get(slot.cond.sequence);
    if (group) group.push(slot);
    else groups.set(slot.cond.sequence, [slot]);
  }
  return [...groups.values()];
}

export async function loadPipeline(
  dir: string,
  options: LoadPipelineOptions = {},
): Promise<LatentDiffusionPipeline> {
  return new LatentDiffusionPipeline(await loadModel(dir, options), options);
}

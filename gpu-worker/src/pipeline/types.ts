import type { SafetyMode } from '@ldm/shared';
import type { ProviderName, SessionOptions } from '../model/create-session';
import type { RefineFrom } from './prepare-request';
import type { PipelineRequest, PipelineTask } from './request';
import type { Timings } from './timings';

export interface LoadPipelineOptions extends SessionOptions {
  /** Largest width x height accepted (default 2048 x 2048). */
  maxPixels?: number;
  /** Largest input image (image/mask) decoded, in pixels (default 4096 x 4096). */
  maxInputPixels?: number;
  /** What to do with images the export's safety checker flags, when the job does not say (default block). */
  safetyChecker?: SafetyMode;
  /** Prompts whose embeddings are kept (default 64; 0 disables). */
  embeddingCacheSize?: number;
}

export interface PipelineInfo {
  name: string;
  dir: string;
  provider: ProviderName;
  nativeWidth: number;
  nativeHeight: number;
  /** Pixels per latent (VAE). Width and height must be multiples of it (and of 8). */
  spatialFactor: number;
  unetInChannels: number;
  /** `sdxl` / `sdxl-refiner`: an SDXL-family export (two text encoders, text_embeds and time_ids). */
  family: 'sd' | 'sdxl' | 'sdxl-refiner';
  vaeScalingFactor: number;
  tasks: readonly PipelineTask[];
  /** The export's own scheduler (scheduler_config.json's class) or, when that has no equivalent here, ddim. */
  defaultScheduler: string;
  /** The export ships safety_checker/ (run unless the job's or the worker's mode is off). */
  hasSafetyChecker: boolean;
  /** Largest clip_skip the text encoder export allows (0: no hidden_states outputs). */
  clipSkipMax: number;
  /** scheduler_config.json's `_class_name`. */
  schedulerClass?: string;
  /** False when that class (or an option of it) is not implemented and defaultScheduler is a fallback. */
  schedulerClassSupported: boolean;
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
  /** Return only the latents (no VAE decode, no safety check; `rgb` is empty): a refiner goes on from them. */
  latentsOnly?: boolean;
  /** Start each image from these latents at `denoisingStart` (the refiner of a base + refiner job). */
  refineFrom?: RefineFrom;
}

export interface GeneratedImage {
  /** Interleaved 8-bit RGB, row-major. */
  rgb: Uint8Array;
  width: number;
  height: number;
  seed: number;
  /** The safety checker flagged it (and it was blocked or blurred); absent when no check ran. */
  nsfw?: boolean;
  /** Final latents [4, height / f, width / f], when `keepLatents` was set. */
  latents?: Float32Array;
}

export interface GenerateResult {
  images: GeneratedImage[];
  /** The request with every default filled in (what went into the image metadata). */
  request: PipelineRequest;
  /** Always false since long prompts are encoded in chunks (up to LIMITS.promptMaxTokens); kept for callers. */
  truncated: { prompt: boolean; negative_prompt: boolean };
  /** For a batch, the timings of the whole batch (shared by its results). */
  timings: Timings;
}

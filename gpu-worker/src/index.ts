/**
 * @ldm/gpu-worker's latent diffusion library: load a diffusers/optimum ONNX Stable Diffusion
 * export, generate images (txt2img, img2img, inpaint), encode them with their parameters.
 */
export { DEFAULT_MAX_INPUT_PIXELS, decodeInputImage } from './image/decode-input';
export {
  CONTENT_TYPES,
  type EncodeImageOptions,
  encodeImage,
  type OutputFormat,
  readImageMetadata,
} from './image/encode-output';
export { type GenerationMetadata, parametersText } from './image/generation-metadata';
export { createSession, type ProviderName, type SessionOptions } from './model/create-session';
export { DEFAULT_VAE_SCALING_FACTOR } from './model/model-config';
export { ModelFolderError } from './model/model-folder-error';
export {
  chooseProvider,
  PROVIDER_CHOICES,
  type ProviderChoice,
  type ProviderSelection,
  ProviderUnavailableError,
  probeProvider,
  selectProvider,
} from './model/providers';
export { generateWithRefiner } from './pipeline/base-and-refiner';
export { batchKey } from './pipeline/batch-key';
export { LatentDiffusionPipeline, loadPipeline } from './pipeline/pipeline';
export { GenerationCanceledError, PipelineInputError } from './pipeline/pipeline-input-error';
export type { PipelineRequest, PipelineTask, ResolvedRequest, StandaloneRequest } from './pipeline/request';
export { resolveAndGenerate, resolveAndGenerateBatch } from './pipeline/standalone';
export type { Timings } from './pipeline/timings';
export type {
  GeneratedImage,
  GenerateOptions,
  GenerateResult,
  LoadPipelineOptions,
  PipelineInfo,
  ProgressEvent,
} from './pipeline/types';
export { SCHEDULER_NAMES, SchedulerConfigError } from './schedulers';
export type { TokenizedPrompt } from './tokenizer';
export * from './upscale';

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SafetyMode } from '@ldm/shared';
import sharp from 'sharp';
import {
  isUpscaleExport,
  type LatentDiffusionPipeline,
  loadPipeline,
  loadUpscalePipeline,
  type UpscalePipeline,
} from '../index';
import { type MemoryPlan, memoryPlan } from '../model/memory-plan';
import type { ProviderName } from '../model/providers';
import type { Logger } from './logger';
import type { OpsModelInfo } from './ops-server';

export interface ModelRegistryOptions {
  modelDirs: Record<string, string>;
  modelsRoot?: string;
  provider: ProviderName;
  deviceId: number;
  webgpuLayout?: 'NHWC' | 'NCHW';
  threads?: number;
  /** onnxruntime's deterministic compute for every session (DETERMINISTIC=1). */
  deterministic?: boolean;
  /** Mode for jobs that name none (SAFETY_CHECKER). */
  safetyChecker?: SafetyMode;
  log: Logger;
}

/** Model name -> folder: every subfolder of `modelsRoot` holding a model_index.json, then `modelDirs` over them. */
export function discoverModels(
  modelsRoot: string | undefined,
  modelDirs: Record<string, string>,
): Record<string, string> {
  const found: Record<string, string> = {};
  if (modelsRoot) {
    for (const entry of readdirSync(modelsRoot, { withFileTypes: true })) {
      const dir = join(modelsRoot, entry.name);
      if (entry.isDirectory() && existsSync(join(dir, 'model_index.json'))) found[entry.name] = resolve(dir);
    }
  }
  for (const [name, dir] of Object.entries(modelDirs)) found[name] = resolve(dir);
  return found;
}

/**
 * The models this worker serves, loaded and warmed before it leases anything: the first real job
 * should not pay for session creation, kernel selection (cuDNN autotuning on CUDA) or allocator growth.
 */
export class ModelRegistry {
  private constructor(
    readonly pipelines: ReadonlyMap<string, LatentDiffusionPipeline>,
    private readonly plans: ReadonlyMap<string, MemoryPlan>,
    readonly upscalers: ReadonlyMap<string, UpscalePipeline> = new Map(),
  ) {}

  static async load(options: ModelRegistryOptions): Promise<ModelRegistry> {
    const dirs = discoverModels(options.modelsRoot, options.modelDirs);
    const names = Object.keys(dirs);
    if (names.length === 0) {
      throw new Error(`no model folders found (MODELS_ROOT=${options.modelsRoot ?? ''}, MODEL_DIRS empty)`);
    }
    const pipelines = new Map<string, LatentDiffusionPipeline>();
    const plans = new Map<string, MemoryPlan>();
    const upscalers = new Map<string, UpscalePipeline>();
    try {
      for (const name of names) await loadOne(name);
    } catch (error) {
      // A later model failed: free the sessions (GPU memory) of those already loaded, or a
      // supervisor that retries in-process would leak one set per try.
      await releaseAll(pipelines.values(), upscalers.values());
      throw error;
    }
    return new ModelRegistry(pipelines, plans, upscalers);

    async function loadOne(name: string): Promise<void> {
      const started = performance.now();
      const log = options.log.child({ model: name });
      if (await isUpscaleExport(dirs[name])) {
        upscalers.set(name, await loadUpscaler(dirs[name], options, log));
        return;
      }
      const pipeline = await loadPipeline(dirs[name], {
        ...sessionTuning(options),
        safetyChecker: options.safetyChecker,
        log: (message, level) => (level === 'warn' ? log.warn(message) : log.info(message)),
      });
      const loadedMs = performance.now() - started;
      let plan: MemoryPlan;
      try {
        plan = await memoryPlan(dirs[name]);
        await warmUp(pipeline);
      } catch (error) {
        await pipeline.release();
        throw error;
      }
      plans.set(name, plan);
      log.info('model ready', {
        dir: dirs[name],
        provider: pipeline.info.provider,
        native: `${pipeline.info.nativeWidth}x${pipeline.info.nativeHeight}`,
        safety_checker: pipeline.info.hasSafetyChecker
          ? (options.safetyChecker ?? 'block')
          : 'none in the export',
        scheduler_class: pipeline.info.schedulerClass ?? null,
        scheduler_class_supported: pipeline.info.schedulerClassSupported,
        default_scheduler: pipeline.info.defaultScheduler,
        family: pipeline.info.family,
        // Weights each network holds (an SDXL export adds text_encoder_2 and a larger UNet).
        weights_mib: Object.fromEntries(
          Object.entries(plan.networks).map(([network, bytes]) => [
            network,
            Math.round((bytes ?? 0) / 2 ** 20),
          ]),
        ),
        weights_total_mib: Math.round(plan.totalBytes / 2 ** 20),
        load_ms: Math.round(loadedMs),
        warm_ms: Math.round(performance.now() - started - loadedMs),
      });
      pipelines.set(name, pipeline);
    }
  }

  get names(): string[] {
    return [...this.pipelines.keys(), ...this.upscalers.keys()];
  }

  getUpscaler(model: string): UpscalePipeline | undefined {
    return this.upscalers.get(model);
  }

  /** What each export turned out to be, for the ops server's /models. */
  info(): OpsModelInfo[] {
    return [...this.pipelines].map(([name, { info }]) => ({
      name,
      tasks: info.tasks,
      native_width: info.nativeWidth,
      native_height: info.nativeHeight,
      default_scheduler: info.defaultScheduler,
      scheduler_class: info.schedulerClass ?? null,
      scheduler_class_supported: info.schedulerClassSupported,
      family: info.family,
      ...(this.plans.has(name)
        ? {
            weights: {
              networks: this.plans.get(name)?.networks as Record<string, number>,
              total_bytes: this.plans.get(name)?.totalBytes ?? 0,
            },
          }
        : {}),
    }));
  }

  get(model: string): LatentDiffusionPipeline | undefined {
    return this.pipelines.get(model);
  }

  async close(): Promise<void> {
    await releaseAll(this.pipelines.values(), this.upscalers.values());
  }
}

async function releaseAll(
  pipelines: Iterable<LatentDiffusionPipeline>,
  upscalers: Iterable<UpscalePipeline>,
): Promise<void> {
  for (const pipeline of pipelines) await pipeline.release();
  for (const upscaler of upscalers) await upscaler.release();
}

/**
 * The session settings both loaders get, in one place so an upscaler cannot drift from the
 * pipelines (it once lost WEBGPU_LAYOUT and DETERMINISTIC).
 */
export function sessionTuning(
  options: ModelRegistryOptions,
): Pick<ModelRegistryOptions, 'provider' | 'deviceId' | 'webgpuLayout' | 'threads' | 'deterministic'> {
  return {
    provider: options.provider,
    deviceId: options.deviceId,
    webgpuLayout: options.webgpuLayout,
    threads: options.threads,
    deterministic: options.deterministic,
  };
}

/** One step at the native size through every network (text encoder, UNet with CFG, VAE decoder). */
async function warmUp(pipeline: LatentDiffusionPipeline): Promise<void> {
  await pipeline.generate(
    await pipeline.resolve({
      prompt: 'warm-up',
      steps: 1,
      guidance_scale: 2,
      seed: 0,
      width: pipeline.info.nativeWidth,
      height: pipeline.info.nativeHeight,
    }),
  );
}

/** An x4-upscaler export, warmed with one step on a 16 x 16 grey input (text encoder, UNet with CFG, VAE). */
async function loadUpscaler(
  dir: string,
  options: ModelRegistryOptions,
  log: Logger,
): Promise<UpscalePipeline> {
  const started = performance.now();
  const upscaler = await loadUpscalePipeline(dir, {
    ...sessionTuning(options),
    log: (message) => log.info(message),
  });
  try {
    const grey = await sharp(Buffer.alloc(16 * 16 * 3, 128), { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toBuffer();
    await upscaler.upscale(
      upscaler.resolve({
        image: new Uint8Array(grey),
        prompt: 'warm-up',
        steps: 1,
        guidance_scale: 2,
        seed: 0,
      }),
    );
  } catch (error) {
    await upscaler.release();
    throw error;
  }
  log.info('model ready', {
    dir,
    provider: upscaler.info.provider,
    task: 'upscale',
    ready_ms: Math.round(performance.now() - started),
  });
  return upscaler;
}

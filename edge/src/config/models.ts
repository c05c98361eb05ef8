import { type ModelInfo, SCHEDULERS } from '@ldm/shared';

/**
 * The built-in model catalog. `demo-shapes` is the small LDM the project trains and ships
 * (64x64 pixels, 8x8 latents); larger deployments add models through the `MODELS_JSON` var,
 * which is merged over this list by name (see env.ts).
 */
export const BUILTIN_MODELS: ModelInfo[] = [
  {
    name: 'demo-shapes',
    version: 'demo-shapes-v1',
    description: 'Small text-to-image latent diffusion model trained on coloured shapes (64x64 native).',
    tasks: ['txt2img', 'img2img', 'inpaint'],
    native_width: 64,
    native_height: 64,
    min_size: 64,
    max_size: 512,
    max_pixels: 512 * 512,
    default_steps: 20,
    max_steps: 150,
    default_guidance_scale: 5,
    default_scheduler: 'dpmpp_2m',
    schedulers: [...SCHEDULERS],
    price: { per_image: 1, per_megapixel_step: 10, cache_hit: 0 },
  },
  {
    // tools/demo-upscaler: Stable Diffusion's x4-upscaler layout, trained on the demo scenes.
    // Sizes are the output's (4x the input image): 64 px -> 256 px natively, inputs up to 512 x 512.
    name: 'demo-upscaler',
    version: 'demo-upscaler-v2',
    description:
      'x4 super-resolution latent diffusion model (64 px -> 256 px native) trained on the demo scenes.',
    tasks: ['upscale'],
    native_width: 256,
    native_height: 256,
    min_size: 64,
    max_size: 2048,
    max_pixels: 2048 * 2048,
    // 3 DDIM steps (trailing spacing): the eval's best PSNR/sharpness trade (tools/demo-upscaler/README.md).
    default_steps: 3,
    max_steps: 150,
    default_guidance_scale: 1,
    default_scheduler: 'ddim',
    schedulers: [...SCHEDULERS],
    price: { per_image: 1, per_megapixel_step: 10, cache_hit: 0 },
  },
];

/** Models that serve `task`, in catalog order: the first is that task's default (e.g. the upscaler). */
export function modelsFor(models: Iterable<ModelInfo>, task: ModelInfo['tasks'][number]): ModelInfo[] {
  return [...models].filter((m) => m.tasks.includes(task));
}

/** Compute units for one job: per output, a fixed part plus one proportional to megapixels x steps. */
export function priceUnits(
  model: ModelInfo,
  width: number,
  height: number,
  steps: number,
  outputs: number,
): number {
  const megapixels = (width * height) / 1_000_000;
  const perOutput = model.price.per_image + model.price.per_megapixel_step * megapixels * steps;
  // Rounded to 1e-6 so the Lua side (HINCRBYFLOAT) and the API agree on the printed figure.
  return Math.round(perOutput * outputs * 1e6) / 1e6;
}

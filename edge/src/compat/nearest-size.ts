import { LIMITS, type ModelInfo } from '@ldm/shared';

/**
 * The size a model really renders for a requested one: the same aspect ratio, scaled down (never
 * up) until it fits the model's max side and max pixels, each side a multiple of 8 and at least the
 * model's min side. `1024x1024` on the 512-pixel demo model is 512x512; `1792x1024` is 512x288.
 */
export function nearestSupportedSize(
  model: ModelInfo,
  width: number,
  height: number,
): { width: number; height: number } {
  const scale = Math.min(
    1,
    model.max_size / width,
    model.max_size / height,
    Math.sqrt(model.max_pixels / (width * height)),
  );
  const fit = (side: number) => {
    const snapped = Math.floor((side * scale) / LIMITS.dimensionMultiple) * LIMITS.dimensionMultiple;
    return Math.max(model.min_size, snapped);
  };
  return { width: fit(width), height: fit(height) };
}

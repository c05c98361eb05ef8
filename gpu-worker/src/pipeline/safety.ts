import type { SafetyMode } from '@ldm/shared';
import sharp from 'sharp';
import type { RunClock } from '../model/run-clock';
import type { SafetyCheckerModel } from '../model/safety-checker';

export interface CheckedImage {
  rgb: Uint8Array;
  /** True when the checker flagged the image, false when it passed, absent when no check ran. */
  nsfw?: boolean;
}

/**
 * Runs the export's safety checker on one decoded image and acts as the operator chose:
 * `block` replaces a flagged image by a black one (what diffusers' checker does), `blur`
 * blurs it beyond recognition, `off` runs nothing. Without a checker in the export nothing
 * runs whatever the mode (the model's load log says so).
 */
export async function applySafety(
  image: { rgb: Uint8Array; width: number; height: number },
  mode: SafetyMode,
  checker: SafetyCheckerModel | undefined,
  clock: RunClock,
): Promise<CheckedImage> {
  if (mode === 'off' || !checker) return { rgb: image.rgb };
  const flagged = await checker.check(image.rgb, image.width, image.height, clock);
  if (!flagged) return { rgb: image.rgb, nsfw: false };
  if (mode === 'block') return { rgb: new Uint8Array(image.rgb.length), nsfw: true };
  return { rgb: await blurHeavily(image.rgb, image.width, image.height), nsfw: true };
}

/** A Gaussian blur with sigma of 1/8 of the longer side: shapes and colours stay, details go. */
async function blurHeavily(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const sigma = Math.max(2, Math.max(width, height) / 8);
  const out = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

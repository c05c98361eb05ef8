import { planarToRgb } from '../image/pixels';
import type { RunClock } from '../model/run-clock';
import type { VaeDecoderModel } from '../model/vae';

/** Latents of one image -> 8-bit RGB (HWC), undoing the scaling factor first. */
export async function decodeLatents(
  vae: VaeDecoderModel,
  latents: Float32Array,
  latentHeight: number,
  latentWidth: number,
  scaling: number,
  clock: RunClock,
): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const unscaled = latents.map((v) => v / scaling);
  const out = await vae.decode(unscaled, [1, 4, latentHeight, latentWidth], clock);
  const [, channels, height, width] = out.dims;
  if (channels !== 3) throw new Error(`vae_decoder returned ${channels} channels; expected 3`);
  return { rgb: planarToRgb(out.data, width, height), width, height };
}

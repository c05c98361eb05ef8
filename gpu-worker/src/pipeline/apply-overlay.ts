/**
 * The pixels of an inpainting input that the mask keeps (mask 0 after binarizing), with the
 * generated image only where the mask says repaint. The latents of the kept region are already
 * held to the image during denoising, but the VAE's round trip still changes those pixels a
 * little; pasting the original back (diffusers' `VaeImageProcessor.apply_overlay`) is what makes
 * "the rest of the image stays as it was" exactly true, which editing APIs promise.
 */
export interface InpaintOverlay {
  /** The input image, decoded and fitted to the output size: interleaved 8-bit RGB. */
  rgb: Uint8Array;
  /** 1 = repaint, 0 = keep, one value per pixel (binarizeMask). */
  mask: Float32Array;
}

export function applyOverlay(generated: Uint8Array, overlay: InpaintOverlay): Uint8Array {
  const out = new Uint8Array(generated);
  for (let i = 0; i < overlay.mask.length; i++) {
    if (overlay.mask[i] >= 0.5) continue;
    out[i * 3] = overlay.rgb[i * 3];
    out[i * 3 + 1] = overlay.rgb[i * 3 + 1];
    out[i * 3 + 2] = overlay.rgb[i * 3 + 2];
  }
  return out;
}

/** Greyscale mask bytes -> 1 where to repaint (white), 0 where to keep, as diffusers binarizes at 0.5. */
export function binarizeMask(grey: Uint8Array): Float32Array {
  const out = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) out[i] = grey[i] >= 127.5 ? 1 : 0;
  return out;
}

/** Pixel mask -> latent resolution by nearest neighbour (torch's default `interpolate`). */
export function latentMask(mask: Float32Array, width: number, height: number, factor: number): Float32Array {
  const w = width / factor;
  const h = height / factor;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out[y * w + x] = mask[y * factor * width + x * factor];
  return out;
}

/** The image with the area to repaint blanked (0 in [-1, 1]): what a 9-channel UNet sees as context. */
export function maskedImage(planar: Float32Array, mask: Float32Array): Float32Array {
  const plane = mask.length;
  const out = new Float32Array(planar.length);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < plane; i++) out[c * plane + i] = mask[i] < 0.5 ? planar[c * plane + i] : 0;
  return out;
}

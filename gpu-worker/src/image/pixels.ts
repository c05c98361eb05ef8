/** Interleaved 8-bit RGB (HWC) -> planar floats in [-1, 1] (CHW), the VAE encoder's input. */
export function rgbToPlanar(rgb: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = rgb[3 * i] / 127.5 - 1;
    out[plane + i] = rgb[3 * i + 1] / 127.5 - 1;
    out[2 * plane + i] = rgb[3 * i + 2] / 127.5 - 1;
  }
  return out;
}

/**
 * VAE output (CHW, about [-1, 1]) -> 8-bit RGB, as diffusers' numpy_to_pil:
 * round(clamp((x + 1) / 2, 0, 1) * 255). A Uint8ClampedArray store does the clamp and the
 * rounding (half to even, as numpy's round), in one pass that writes the output in order:
 * a 256 px upscale is 196,608 values, and this is a fixed cost of every image outside run().
 */
export function planarToRgb(planar: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const out = new Uint8ClampedArray(3 * plane);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[j] = (planar[i] / 2 + 0.5) * 255;
    out[j + 1] = (planar[plane + i] / 2 + 0.5) * 255;
    out[j + 2] = (planar[2 * plane + i] / 2 + 0.5) * 255;
  }
  return new Uint8Array(out.buffer);
}

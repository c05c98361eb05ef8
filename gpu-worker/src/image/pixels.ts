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

/** VAE output (CHW, about [-1, 1]) -> 8-bit RGB, as diffusers: clamp((x + 1) / 2) * 255, rounded. */
export function planarToRgb(planar: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const out = new Uint8Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let i = 0; i < plane; i++) {
      const v = planar[base + i] / 2 + 0.5;
      out[3 * i + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return out;
}

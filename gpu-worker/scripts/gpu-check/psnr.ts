/**
 * Peak signal-to-noise ratio of two 8-bit images of the same size, in dB: 10·log10(255² / MSE).
 * Identical images give Infinity. 35 dB on 8-bit RGB is an RMS difference of ~4.5 levels:
 * invisible, yet far below what a wrong kernel, layout or dtype produces.
 */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`images differ in size: ${a.length} vs ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

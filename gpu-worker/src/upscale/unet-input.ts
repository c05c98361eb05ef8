/**
 * The upscaler UNet's input, diffusers' order: for each image its rows (unconditional first when
 * guided, then conditional), each row the scheduler-scaled latents (4 channels) followed by that
 * image's noised low-resolution RGB (3 channels).
 *
 * The noised image is the same at every step, so a denoising loop writes it once
 * (`writeUpscaleNoisedImages`) and only the latents per step (`writeUpscaleLatents`) into the
 * same buffer; `upscaleUnetInput` does both.
 */
export function upscaleUnetInput(
  scaledLatents: readonly Float32Array[],
  noisedImages: readonly Float32Array[],
  guided: boolean,
  plane: number,
  out?: Float32Array,
): Float32Array {
  const sample = out ?? new Float32Array(scaledLatents.length * (guided ? 2 : 1) * 7 * plane);
  writeUpscaleNoisedImages(noisedImages, guided, plane, sample);
  writeUpscaleLatents(scaledLatents, guided, plane, sample);
  return sample;
}

/** Channels 4..6 of every row: each image's noised low-resolution RGB. */
export function writeUpscaleNoisedImages(
  noisedImages: readonly Float32Array[],
  guided: boolean,
  plane: number,
  sample: Float32Array,
): void {
  forEachRow(noisedImages.length, guided, plane, (i, at) =>
    sample.set(noisedImages[i].subarray(0, 3 * plane), at + 4 * plane),
  );
}

/** Channels 0..3 of every row: each image's scheduler-scaled latents for this step. */
export function writeUpscaleLatents(
  scaledLatents: readonly Float32Array[],
  guided: boolean,
  plane: number,
  sample: Float32Array,
): void {
  forEachRow(scaledLatents.length, guided, plane, (i, at) =>
    sample.set(scaledLatents[i].subarray(0, 4 * plane), at),
  );
}

function forEachRow(
  images: number,
  guided: boolean,
  plane: number,
  write: (image: number, at: number) => void,
) {
  const rowsPer = guided ? 2 : 1;
  for (let i = 0; i < images; i++) {
    for (let k = 0; k < rowsPer; k++) write(i, (i * rowsPer + k) * 7 * plane);
  }
}

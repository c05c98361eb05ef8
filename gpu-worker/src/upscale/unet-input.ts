/**
 * The upscaler UNet's input for one step, diffusers' order: for each image its rows
 * (unconditional first when guided, then conditional), each row the scheduler-scaled latents
 * (4 channels) followed by that image's noised low-resolution RGB (3 channels).
 */
export function upscaleUnetInput(
  scaledLatents: readonly Float32Array[],
  noisedImages: readonly Float32Array[],
  guided: boolean,
  plane: number,
  out?: Float32Array,
): Float32Array {
  const rowsPer = guided ? 2 : 1;
  const row = 7 * plane;
  const sample = out ?? new Float32Array(scaledLatents.length * rowsPer * row);
  scaledLatents.forEach((latents, i) => {
    for (let k = 0; k < rowsPer; k++) {
      const at = (i * rowsPer + k) * row;
      sample.set(latents.subarray(0, 4 * plane), at);
      sample.set(noisedImages[i].subarray(0, 3 * plane), at + 4 * plane);
    }
  });
  return sample;
}

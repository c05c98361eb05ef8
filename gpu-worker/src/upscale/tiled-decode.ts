import type { RunClock } from '../model/run-clock';
import type { VaeDecoderModel } from '../model/vae';

export interface TileOptions {
  /** Latent pixels per tile side (default 64: a 256 px tile for a factor-4 VAE). */
  tile: number;
  /** Latent pixels two neighbouring tiles share; blended linearly across (default 8). */
  overlap: number;
}

export const DEFAULT_TILES: TileOptions = { tile: 64, overlap: 8 };

/** Start offsets covering `size` with tiles of `tile` advancing by tile - overlap, the last flush with the end. */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  // A stride of tile - overlap must be in 1..tile: otherwise the loop never ends or leaves gaps.
  if (!(overlap >= 0 && overlap < tile)) {
    throw new RangeError(`tile overlap ${overlap} must be at least 0 and under the tile size ${tile}`);
  }
  if (size <= tile) return [0];
  const stride = tile - overlap;
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += stride) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/** Weights along one side of a tile: ramps 0 -> 1 across the overlap on each end that has a neighbour. */
function rampWeights(length: number, blend: number, before: boolean, after: boolean): Float32Array {
  const weights = new Float32Array(length);
  for (let pos = 0; pos < length; pos++) {
    let w = 1;
    if (before && pos < blend) w = Math.min(w, (pos + 0.5) / blend);
    if (after && length - 1 - pos < blend) w = Math.min(w, (length - 1 - pos + 0.5) / blend);
    weights[pos] = w;
  }
  return weights;
}

/**
 * Adds one decoded tile (CHW, wy.length x wx.length) into the output planes at `origin`, weighted
 * by wy[y] * wx[x], and the weights into `weights`. Row by row and channel by channel, so every
 * inner loop runs over contiguous memory: for a 2048 px output the accumulators are 64 MB and this
 * pass is bound by memory, not arithmetic.
 */
function accumulateTile(
  planes: Float32Array,
  weights: Float32Array,
  tile: Float32Array,
  wy: Float32Array,
  wx: Float32Array,
  origin: number,
  width: number,
  plane: number,
): void {
  const th = wy.length;
  const tw = wx.length;
  for (let y = 0; y < th; y++) {
    const row = origin + y * width;
    const rowWeight = wy[y];
    for (let x = 0; x < tw; x++) weights[row + x] += rowWeight * wx[x];
    for (let c = 0; c < 3; c++) {
      const src = (c * th + y) * tw;
      const dst = c * plane + row;
      for (let x = 0; x < tw; x++) planes[dst + x] += rowWeight * wx[x] * tile[src + x];
    }
  }
}

/**
 * VAE decode in overlapping tiles (as diffusers' AutoencoderKL.tiled_decode, with a normalised
 * linear blend), so memory is one tile's activations plus the output, whatever the image size.
 * Latents are already divided by the scaling factor; returns RGB planes in [-1, 1], [3, H, W].
 */
export async function tiledDecode(
  vae: VaeDecoderModel,
  latents: Float32Array,
  latentHeight: number,
  latentWidth: number,
  factor: number,
  clock: RunClock,
  options: TileOptions = DEFAULT_TILES,
): Promise<{ planes: Float32Array; width: number; height: number; tiles: number }> {
  const height = latentHeight * factor;
  const width = latentWidth * factor;
  const tileH = Math.min(options.tile, latentHeight);
  const tileW = Math.min(options.tile, latentWidth);
  // options.tile, not the clipped side: a side under one tile is one tile whatever the overlap.
  const ys = tileStarts(latentHeight, options.tile, options.overlap);
  const xs = tileStarts(latentWidth, options.tile, options.overlap);
  if (ys.length === 1 && xs.length === 1) {
    // One tile is the whole image: no blending, the decoder's output as it is.
    const out = await vae.decode(latents, [1, 4, latentHeight, latentWidth], clock);
    if (out.dims[1] !== 3 || out.dims[2] !== height || out.dims[3] !== width) {
      throw new Error(`vae decoder returned [${out.dims}] for ${latentHeight}x${latentWidth} latents`);
    }
    return { planes: out.data, width, height, tiles: 1 };
  }
  const planes = new Float32Array(3 * height * width);
  const weights = new Float32Array(height * width);
  const blend = options.overlap * factor;
  const tileLatents = new Float32Array(4 * tileH * tileW);
  for (const [yi, y0] of ys.entries()) {
    for (const [xi, x0] of xs.entries()) {
      for (let c = 0; c < 4; c++) {
        for (let y = 0; y < tileH; y++) {
          const from = (c * latentHeight + y0 + y) * latentWidth + x0;
          tileLatents.set(latents.subarray(from, from + tileW), (c * tileH + y) * tileW);
        }
      }
      const out = await vae.decode(tileLatents, [1, 4, tileH, tileW], clock);
      const th = tileH * factor;
      const tw = tileW * factor;
      if (out.dims[1] !== 3 || out.dims[2] !== th || out.dims[3] !== tw) {
        throw new Error(`vae decoder returned [${out.dims}] for a ${tileH}x${tileW} latent tile`);
      }
      // The blend weights are separable: one ramp per row and one per column of this tile.
      const wy = rampWeights(th, blend, yi > 0, yi < ys.length - 1);
      const wx = rampWeights(tw, blend, xi > 0, xi < xs.length - 1);
      accumulateTile(planes, weights, out.data, wy, wx, (y0 * width + x0) * factor, width, height * width);
    }
  }
  const plane = height * width;
  for (let i = 0; i < plane; i++) {
    const inverse = 1 / weights[i];
    planes[i] *= inverse;
    planes[plane + i] *= inverse;
    planes[2 * plane + i] *= inverse;
  }
  return { planes, width, height, tiles: ys.length * xs.length };
}

import type * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ModelFolderError } from './model-folder-error';
import { asFloatType, type FloatType, floatTensor } from './onnx-tensors';
import { numberField } from './read-config';
import type { RunClock } from './run-clock';
import { pickOutput, tensorInfo } from './session-metadata';

export const SAFETY_CHECKER_FILE = 'safety_checker/model.onnx';
export const FEATURE_EXTRACTOR_FILE = 'feature_extractor/preprocessor_config.json';

/** CLIP's image normalisation (CLIPImageProcessor defaults), used when the config omits it. */
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/** What CLIPImageProcessor does before the checker: resize, centre crop, rescale, normalise. */
export interface ClipPreprocessing {
  /** Shortest side after resizing (`size.shortest_edge` or `size`). */
  shortestEdge: number;
  cropHeight: number;
  cropWidth: number;
  mean: number[];
  std: number[];
  rescale: number;
}

function sizeField(value: unknown, key: 'shortest_edge' | 'height' | 'width'): number | undefined {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object') {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'number') return v;
  }
  return undefined;
}

function triple(value: unknown, fallback: number[], key: string): number[] {
  if (value === undefined) return fallback;
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number' && v !== 0)) {
    return value as number[];
  }
  throw new ModelFolderError(FEATURE_EXTRACTOR_FILE, `${key} must be three non-zero numbers`);
}

/** Reads feature_extractor/preprocessor_config.json (diffusers exports ship CLIP's, 224 px). */
export function clipPreprocessing(config: Record<string, unknown> | undefined): ClipPreprocessing {
  const c = config ?? {};
  const shortestEdge = sizeField(c.size, 'shortest_edge') ?? 224;
  const cropHeight = sizeField(c.crop_size, 'height') ?? 224;
  const cropWidth = sizeField(c.crop_size, 'width') ?? 224;
  for (const [name, v] of [
    ['size', shortestEdge],
    ['crop_size', cropHeight],
    ['crop_size', cropWidth],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1024)
      throw new ModelFolderError(FEATURE_EXTRACTOR_FILE, `${name} must be an integer in 1..1024`);
  }
  return {
    shortestEdge,
    cropHeight,
    cropWidth,
    mean: triple(c.image_mean, CLIP_MEAN, 'image_mean'),
    std: triple(c.image_std, CLIP_STD, 'image_std'),
    rescale: numberField(c, 'rescale_factor', FEATURE_EXTRACTOR_FILE) ?? 1 / 255,
  };
}

/**
 * CLIPImageProcessor on an 8-bit RGB image: resize so the shortest side is `shortestEdge`
 * (the long side int(edge * long / short)) with a bicubic kernel, crop the centre, rescale to
 * [0, 1], normalise per channel; planar [3, cropHeight, cropWidth]. sharp's cubic kernel
 * (Catmull-Rom) is PIL's BICUBIC; the two libraries' resamplers still round differently, so
 * the pixels are close to transformers', not bit-identical.
 */
export async function preprocessForClip(
  rgb: Uint8Array,
  width: number,
  height: number,
  p: ClipPreprocessing,
): Promise<Float32Array> {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const longSide = Math.trunc((p.shortestEdge * long) / short);
  const [w, h] = width <= height ? [p.shortestEdge, longSide] : [longSide, p.shortestEdge];
  const left = Math.trunc((w - p.cropWidth) / 2);
  const top = Math.trunc((h - p.cropHeight) / 2);
  if (left < 0 || top < 0) throw new Error('crop_size larger than the resized image');
  const pixels = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .resize({ width: w, height: h, fit: 'fill', kernel: 'cubic' })
    .extract({ left, top, width: p.cropWidth, height: p.cropHeight })
    .raw()
    .toBuffer();
  const plane = p.cropWidth * p.cropHeight;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (pixels[i * 3 + c] * p.rescale - p.mean[c]) / p.std[c];
  }
  return out;
}

/**
 * diffusers' ONNX safety checker (StableDiffusionSafetyChecker.forward_onnx): inputs
 * `clip_input` [batch, 3, 224, 224] and `images` [batch, H, W, 3] in [0, 1]; outputs the images
 * (flagged ones blacked out) and `has_nsfw_concepts` [batch] bool. Only the flags are used
 * here: what happens to a flagged image is the operator's choice (block, blur).
 */
export class SafetyCheckerModel {
  private readonly clipType: FloatType;
  private readonly imagesType: FloatType;
  private readonly flags: string;

  constructor(
    readonly session: ort.InferenceSession,
    readonly preprocessing: ClipPreprocessing,
  ) {
    this.clipType = asFloatType(
      tensorInfo(session, 'input', 'clip_input', SAFETY_CHECKER_FILE).type,
      `${SAFETY_CHECKER_FILE} clip_input`,
    );
    this.imagesType = asFloatType(
      tensorInfo(session, 'input', 'images', SAFETY_CHECKER_FILE).type,
      `${SAFETY_CHECKER_FILE} images`,
    );
    this.flags = pickOutput(session, ['has_nsfw_concepts']);
    if (this.flags !== 'has_nsfw_concepts') {
      throw new ModelFolderError(SAFETY_CHECKER_FILE, 'has no has_nsfw_concepts output');
    }
  }

  /** One image at a time, as diffusers' ONNX pipeline runs it. True when flagged. */
  async check(rgb: Uint8Array, width: number, height: number, clock: RunClock): Promise<boolean> {
    const clip = await preprocessForClip(rgb, width, height, this.preprocessing);
    const images = Float32Array.from(rgb, (v) => v / 255);
    const feeds = {
      clip_input: floatTensor(
        clip,
        [1, 3, this.preprocessing.cropHeight, this.preprocessing.cropWidth],
        this.clipType,
      ),
      images: floatTensor(images, [1, height, width, 3], this.imagesType),
    };
    const result = await clock.run(this.session, feeds, [this.flags]);
    const flags = result[this.flags] as ort.Tensor;
    if (
      flags.type !== 'bool' &&
      flags.type !== 'uint8' &&
      flags.type !== 'int64' &&
      flags.type !== 'float32'
    ) {
      throw new Error(`${SAFETY_CHECKER_FILE}: has_nsfw_concepts has type ${flags.type}`);
    }
    return Number((flags.data as ArrayLike<number | bigint | boolean>)[0]) !== 0;
  }
}

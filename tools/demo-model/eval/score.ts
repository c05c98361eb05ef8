// Reads back what a generated image shows: background colour, foreground colour, position
// and shape. Same rules as ldm_demo/scoring.py (the recipe's own check):
// - background: the palette colour most border pixels are nearest to;
// - foreground: pixels farther than FG_DISTANCE (RGB) from the mean background pixel;
// - colour: the palette colour most foreground pixels are nearest to;
// - position: the named anchor nearest the foreground's centroid;
// - shape: the template (circle/square/triangle in the foreground's bounding box) with
//   the highest IoU against the foreground mask.
import type { SceneSpec, ShapeName } from './scene-spec';
import { shapeMask } from './shape-mask';

const FG_DISTANCE = 80;
const MIN_FG_PIXELS = 12;

export interface Reading {
  background: string;
  colour: string | null;
  position: string | null;
  shape: ShapeName | null;
}

function nearestColour(spec: SceneSpec, r: number, g: number, b: number): string {
  let best = '';
  let bestD = Number.POSITIVE_INFINITY;
  for (const [name, [pr, pg, pb]] of Object.entries(spec.colours)) {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return best;
}

function mostCommon(counts: Map<string, number>): string {
  let best = '';
  let bestN = -1;
  for (const [k, n] of counts) {
    if (n > bestN) {
      bestN = n;
      best = k;
    }
  }
  return best;
}

/** `rgb` is packed 8-bit RGB, row-major, `size` x `size`. */
export function readImage(spec: SceneSpec, rgb: Uint8Array, size: number): Reading {
  if (rgb.length !== size * size * 3)
    throw new Error(`expected ${size}x${size} RGB, got ${rgb.length} bytes`);
  const at = (x: number, y: number) => (y * size + x) * 3;
  const border: number[] = [];
  for (let i = 0; i < size; i++) {
    border.push(at(i, 0), at(i, size - 1), at(0, i), at(size - 1, i));
  }
  const bgCounts = new Map<string, number>();
  const borderNames = border.map((o) => nearestColour(spec, rgb[o], rgb[o + 1], rgb[o + 2]));
  for (const n of borderNames) bgCounts.set(n, (bgCounts.get(n) ?? 0) + 1);
  const background = mostCommon(bgCounts);
  const bg = [0, 0, 0];
  let bgN = 0;
  border.forEach((o, i) => {
    if (borderNames[i] !== background) return;
    bg[0] += rgb[o];
    bg[1] += rgb[o + 1];
    bg[2] += rgb[o + 2];
    bgN++;
  });
  for (let c = 0; c < 3; c++) bg[c] /= bgN;

  const mask = new Uint8Array(size * size);
  const fgCounts = new Map<string, number>();
  let count = 0;
  let sx = 0;
  let sy = 0;
  let x0 = size;
  let y0 = size;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = at(x, y);
      const d = Math.hypot(rgb[o] - bg[0], rgb[o + 1] - bg[1], rgb[o + 2] - bg[2]);
      if (d <= FG_DISTANCE) continue;
      mask[y * size + x] = 1;
      const name = nearestColour(spec, rgb[o], rgb[o + 1], rgb[o + 2]);
      fgCounts.set(name, (fgCounts.get(name) ?? 0) + 1);
      count++;
      sx += x;
      sy += y;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + 1);
      y1 = Math.max(y1, y + 1);
    }
  }
  if (count < MIN_FG_PIXELS) return { background, colour: null, position: null, shape: null };
  const cx = sx / count + 0.5;
  const cy = sy / count + 0.5;
  let position = '';
  let bestD = Number.POSITIVE_INFINITY;
  for (const [name, [px, py]] of Object.entries(spec.positions)) {
    const d = (px - cx) ** 2 + (py - cy) ** 2;
    if (d < bestD) {
      bestD = d;
      position = name;
    }
  }
  const side = Math.max(x1 - x0, y1 - y0);
  let shape: ShapeName = spec.shapes[0];
  let bestIou = -1;
  for (const candidate of spec.shapes) {
    const template = shapeMask(candidate, (x0 + x1) / 2, (y0 + y1) / 2, side, size);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < mask.length; i++) {
      inter += mask[i] & template[i];
      union += mask[i] | template[i];
    }
    const iou = inter / Math.max(1, union);
    if (iou > bestIou) {
      bestIou = iou;
      shape = candidate;
    }
  }
  return { background, colour: mostCommon(fgCounts), position, shape };
}

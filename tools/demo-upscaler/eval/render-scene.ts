// The demo model's scenes (tools/demo-model/ldm_demo/scenes.py) drawn at 256 px as the upscaler
// recipe draws them (ldm_upscaler/data.py: every coordinate x4, 2x2 supersampled coverage), and
// their 64 px inputs (mean of each 4x4 block). Drawn from their own seeded stream, so none is a
// training scene (the recipe's come from numpy's generator, seed 0, with continuous jitter).
import type { Rgb, SceneSpec, ShapeName } from '../../demo-model/eval/scene-spec';

export const SCALE = 4;
export const HIGH = 256;
export const LOW = HIGH / SCALE;
const SUPERSAMPLE = 2;
const SIZES = { small: [14, 19], large: [23, 28] } as const;

export interface Scene {
  colour: string;
  shape: ShapeName;
  background: string;
  position: string;
  caption: string;
  /** 256 x 256 packed RGB. */
  high: Uint8Array;
  /** 64 x 64 packed RGB, box-downsampled. */
  low: Uint8Array;
}

/** mulberry32: a small seeded stream, enough to pick scenes reproducibly. */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function inside(shape: ShapeName, dx: number, dy: number, half: number, side: number): boolean {
  if (shape === 'circle') return dx * dx + dy * dy <= half * half;
  if (shape === 'square') return Math.abs(dx) <= half && Math.abs(dy) <= half;
  const rel = (dy + half) / side;
  return dy >= -half && dy <= half && Math.abs(dx) <= rel * half;
}

function render(shape: ShapeName, cx: number, cy: number, side: number, fg: Rgb, bg: Rgb): Uint8Array {
  const out = new Uint8Array(HIGH * HIGH * 3);
  const half = side / 2;
  for (let y = 0; y < HIGH; y++) {
    for (let x = 0; x < HIGH; x++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const px = x + (sx + 0.5) / SUPERSAMPLE;
          const py = y + (sy + 0.5) / SUPERSAMPLE;
          if (inside(shape, px - cx, py - cy, half, side)) hits++;
        }
      }
      const cover = hits / (SUPERSAMPLE * SUPERSAMPLE);
      for (let c = 0; c < 3; c++)
        out[3 * (y * HIGH + x) + c] = Math.round(cover * fg[c] + (1 - cover) * bg[c]);
    }
  }
  return out;
}

export function boxDown(high: Uint8Array, size = HIGH, factor = SCALE): Uint8Array {
  const low = size / factor;
  const out = new Uint8Array(low * low * 3);
  for (let y = 0; y < low; y++) {
    for (let x = 0; x < low; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          for (let dx = 0; dx < factor; dx++)
            sum += high[3 * ((y * factor + dy) * size + x * factor + dx) + c];
        }
        out[3 * (y * low + x) + c] = Math.round(sum / (factor * factor));
      }
    }
  }
  return out;
}

export function evalScenes(spec: SceneSpec, count: number, seed: number): Scene[] {
  const next = stream(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const colourNames = Object.keys(spec.colours);
  const positionNames = Object.keys(spec.positions);
  const scenes: Scene[] = [];
  for (let i = 0; i < count; i++) {
    const colour = pick(colourNames);
    const shape = pick(spec.shapes);
    const background = pick(colourNames.filter((c) => c !== colour));
    const position = pick(positionNames);
    const size = pick(['small', 'large'] as const);
    const [lo, hi] = SIZES[size];
    const side = lo + next() * (hi - lo);
    const [ax, ay] = spec.positions[position];
    const cx = ax + (next() * 6 - 3);
    const cy = ay + (next() * 6 - 3);
    const high = render(
      shape,
      cx * SCALE,
      cy * SCALE,
      side * SCALE,
      spec.colours[colour],
      spec.colours[background],
    );
    const caption = `a ${colour} ${shape} in the ${position} on a ${background} background`;
    scenes.push({ colour, shape, background, position, caption, high, low: boxDown(high) });
  }
  return scenes;
}

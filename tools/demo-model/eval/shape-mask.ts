// Binary masks of the three shapes, drawn exactly as ldm_demo/scenes.py draws them
// (sampled at pixel centres, `supersample`^2 samples per pixel, covered if >= half).
import type { ShapeName } from './scene-spec';

export function shapeMask(
  shape: ShapeName,
  cx: number,
  cy: number,
  side: number,
  size: number,
  supersample = 2,
): Uint8Array {
  const mask = new Uint8Array(size * size);
  const half = side / 2;
  const n = supersample * supersample;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < supersample; sy++) {
        for (let sx = 0; sx < supersample; sx++) {
          const px = x + (sx + 0.5) / supersample;
          const py = y + (sy + 0.5) / supersample;
          if (inside(shape, px - cx, py - cy, half, side)) hits++;
        }
      }
      mask[y * size + x] = hits * 2 >= n ? 1 : 0;
    }
  }
  return mask;
}

function inside(shape: ShapeName, dx: number, dy: number, half: number, side: number): boolean {
  if (shape === 'circle') return dx * dx + dy * dy <= half * half;
  if (shape === 'square') return Math.abs(dx) <= half && Math.abs(dy) <= half;
  // Upright isosceles triangle filling its bounding box, apex at the top centre.
  const rel = (dy + half) / side;
  return dy >= -half && dy <= half && Math.abs(dx) <= rel * half;
}

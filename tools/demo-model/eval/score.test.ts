import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSceneSpec, type ShapeName } from './scene-spec';
import { readImage } from './score';
import { shapeMask } from './shape-mask';

const spec = loadSceneSpec(fileURLToPath(new URL('./scene-spec.json', import.meta.url)));
const SIZE = spec.imageSize;

function draw(colour: string, shape: ShapeName, position: string, background: string, side = 20) {
  const [cx, cy] = spec.positions[position];
  const mask = shapeMask(shape, cx, cy, side, SIZE, 4);
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) rgb.set(spec.colours[mask[i] ? colour : background], i * 3);
  return rgb;
}

describe('readImage', () => {
  it('reads back colour, shape, position and background of every drawn combination', () => {
    const colours = Object.keys(spec.colours);
    let checked = 0;
    for (const colour of colours) {
      const background = colours.find((c) => c !== colour)!;
      for (const shape of spec.shapes) {
        for (const position of Object.keys(spec.positions)) {
          for (const side of [15, 27]) {
            const reading = readImage(spec, draw(colour, shape, position, background, side), SIZE);
            expect(reading).toEqual({ background, colour, shape, position });
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(6 * 3 * 5 * 2);
  });

  it('reports no foreground for a plain image', () => {
    const rgb = new Uint8Array(SIZE * SIZE * 3);
    for (let i = 0; i < SIZE * SIZE; i++) rgb.set(spec.colours.green, i * 3);
    expect(readImage(spec, rgb, SIZE)).toEqual({
      background: 'green',
      colour: null,
      position: null,
      shape: null,
    });
  });

  it('rejects an image of the wrong size', () => {
    expect(() => readImage(spec, new Uint8Array(10), SIZE)).toThrow(/64x64 RGB/);
  });
});

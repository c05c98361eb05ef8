// The demo data set's vocabulary, written by ldm_demo/export_onnx.py into
// scene-spec.json: palette, named positions, held-out pairs and the evaluation prompts.
import { readFileSync } from 'node:fs';

export type Rgb = readonly [number, number, number];
export type ShapeName = 'circle' | 'square' | 'triangle';

export interface HeldOutCase {
  prompt: string;
  colour: string;
  shape: ShapeName;
  position: string;
  background: string;
}

export interface SceneSpec {
  imageSize: number;
  colours: Record<string, Rgb>;
  shapes: ShapeName[];
  /** Centre (x, y) in pixels of each named position. */
  positions: Record<string, readonly [number, number]>;
  heldOutPairs: [string, ShapeName][];
  prompts: HeldOutCase[];
}

export function loadSceneSpec(path: string): SceneSpec {
  return JSON.parse(readFileSync(path, 'utf8')) as SceneSpec;
}

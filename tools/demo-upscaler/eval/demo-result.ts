// Writes docs/upscaler-result.png: the demo model's 64 px image for a prompt (shown with nearest
// neighbour), beside the demo upscaler's 256 px result of it, as a txt2img request with
// "upscale": 4 gives. Usage: tsx tools/demo-upscaler/eval/demo-result.ts [--prompt TEXT] [--seed N]
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeImage, loadPipeline, loadUpscalePipeline, resolveAndGenerate } from '@ldm/gpu-worker';
import { gridPng } from '../../demo-model/eval/grid';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { values } = parseArgs({
  options: {
    prompt: { type: 'string', multiple: true },
    seed: { type: 'string', default: '3' },
    out: { type: 'string', default: resolve(ROOT, 'docs/upscaler-result.png') },
  },
});
const prompts = values.prompt ?? [
  'a red circle in the top left on a blue background',
  'a large yellow square in the center on a black background',
  'a white triangle in the bottom right on a green background',
];
const base = await loadPipeline(resolve(ROOT, 'models/demo-shapes'));
const upscaler = await loadUpscalePipeline(resolve(ROOT, 'models/demo-upscaler'));
const cells: Uint8Array[][] = [];
for (const prompt of prompts) {
  const small = (await resolveAndGenerate(base, { prompt, seed: Number(values.seed), steps: 20 })).images[0];
  const png = await encodeImage(small.rgb, small.width, small.height, { format: 'png' });
  const big = (
    await upscaler.upscale(
      upscaler.resolve({
        image: new Uint8Array(png),
        prompt,
        seed: small.seed,
        steps: 20,
        guidance_scale: 1,
      }),
    )
  ).images[0];
  const nearest = new Uint8Array(256 * 256 * 3);
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      const from = 3 * ((y >> 2) * 64 + (x >> 2));
      nearest.set(small.rgb.subarray(from, from + 3), 3 * (y * 256 + x));
    }
  }
  cells.push([nearest, big.rgb]);
}
writeFileSync(
  values.out,
  await gridPng({
    rowLabels: prompts,
    columnLabels: ['demo-shapes, 64 px', 'demo-upscaler, 256 px'],
    cells,
    size: 256,
    scale: 1,
  }),
);
await base.release();
await upscaler.release();
console.log(values.out);

// `npm run eval:demo`: generates the held-out prompts (colour-shape pairs never seen in
// training) with the demo model through the platform's TypeScript pipeline, for several
// schedulers and step counts, reads back colour / shape / position from each image, prints
// the adherence table and writes a picture grid. Exits 1 if dpmpp_2m at 20 steps misses
// the targets (colour >= 95%, shape >= 90%, position >= 90%).
//
// Options: --model DIR (models/demo-shapes)  --seeds N (5)  --guidance G (5)
//          --grid FILE (docs/demo-grid.png)  --json FILE (write the table as JSON too)
//          --prompts N (only the first N prompts: a quick smoke run)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPipeline, resolveAndGenerateBatch } from '@ldm/gpu-worker';
import { gridPng } from './grid';
import { loadSceneSpec } from './scene-spec';
import { readImage } from './score';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SETTINGS = [
  { scheduler: 'ddim', steps: 50 },
  { scheduler: 'ddim', steps: 20 },
  { scheduler: 'pndm', steps: 20 },
  { scheduler: 'euler_ancestral', steps: 20 },
  { scheduler: 'dpmpp_2m', steps: 20 },
  { scheduler: 'dpmpp_2m', steps: 10 },
] as const;
const TARGET = { scheduler: 'dpmpp_2m', steps: 20, colour: 0.95, shape: 0.9, position: 0.9 };
const BATCH = 20;
/** Grid rows: the first two prompts of each held-out pair (every 10th prompt starts a pair). */
const GRID_ROWS = [0, 3, 10, 13, 20, 23, 30, 33];

interface Row {
  scheduler: string;
  steps: number;
  images: number;
  colour: number;
  shape: number;
  position: number;
  all: number;
  seconds: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: resolve(ROOT, 'models/demo-shapes') },
      seeds: { type: 'string', default: '5' },
      guidance: { type: 'string', default: '5' },
      grid: { type: 'string', default: resolve(ROOT, 'docs/demo-grid.png') },
      json: { type: 'string' },
      prompts: { type: 'string' },
    },
  });
  const seeds = Number(values.seeds);
  const guidance = Number(values.guidance);
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 20)
    throw new Error('--seeds must be an integer 1..20');
  if (!Number.isFinite(guidance) || guidance < 1 || guidance > 20)
    throw new Error('--guidance must be 1..20');
  const spec = loadSceneSpec(resolve(dirname(fileURLToPath(import.meta.url)), 'scene-spec.json'));
  if (values.prompts !== undefined) {
    const n = Number(values.prompts);
    if (!Number.isInteger(n) || n < 1) throw new Error('--prompts must be a positive integer');
    spec.prompts = spec.prompts.slice(0, n);
  }
  const pipeline = await loadPipeline(values.model);
  const size = spec.imageSize;
  console.log(
    `model ${pipeline.info.name} (${pipeline.info.provider}), ${spec.prompts.length} held-out prompts x ${seeds} seeds, ` +
      `guidance ${guidance}, held-out pairs: ${spec.heldOutPairs.map((p) => p.join(' ')).join(', ')}`,
  );
  const rows: Row[] = [];
  const gridCells: Uint8Array[][] = GRID_ROWS.map(() => []);
  try {
    for (const setting of SETTINGS) {
      const started = performance.now();
      const hits = { colour: 0, shape: 0, position: 0, all: 0 };
      let count = 0;
      for (let seed = 0; seed < seeds; seed++) {
        for (let start = 0; start < spec.prompts.length; start += BATCH) {
          const cases = spec.prompts.slice(start, start + BATCH);
          const results = await resolveAndGenerateBatch(
            pipeline,
            cases.map((c, i) => ({
              prompt: c.prompt,
              seed: 1000 * seed + start + i,
              steps: setting.steps,
              scheduler: setting.scheduler,
              guidance_scale: guidance,
              width: size,
              height: size,
            })),
          );
          results.forEach((result, i) => {
            const image = result.images[0];
            const want = cases[i];
            const got = readImage(spec, image.rgb, image.width);
            const ok = {
              colour: got.colour === want.colour,
              shape: got.shape === want.shape,
              position: got.position === want.position,
            };
            hits.colour += Number(ok.colour);
            hits.shape += Number(ok.shape);
            hits.position += Number(ok.position);
            hits.all += Number(ok.colour && ok.shape && ok.position);
            count++;
            const gridRow = GRID_ROWS.indexOf(start + i);
            if (seed === 0 && gridRow >= 0) gridCells[gridRow].push(image.rgb);
          });
        }
      }
      const row: Row = {
        ...setting,
        images: count,
        colour: hits.colour / count,
        shape: hits.shape / count,
        position: hits.position / count,
        all: hits.all / count,
        seconds: (performance.now() - started) / 1000,
      };
      rows.push(row);
      console.log(
        `${setting.scheduler} ${setting.steps}: colour ${pct(row.colour)} shape ${pct(row.shape)} ` +
          `position ${pct(row.position)} all ${pct(row.all)} (${count} images, ${row.seconds.toFixed(1)} s)`,
      );
    }
  } finally {
    await pipeline.release();
  }

  console.log('\n| scheduler | steps | colour | shape | position | all three | images | seconds |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.scheduler} | ${r.steps} | ${pct(r.colour)} | ${pct(r.shape)} | ${pct(r.position)} | ${pct(r.all)} | ` +
        `${r.images} | ${r.seconds.toFixed(1)} |`,
    );
  }
  mkdirSync(dirname(values.grid), { recursive: true });
  writeFileSync(
    values.grid,
    await gridPng({
      rowLabels: GRID_ROWS.filter((i) => i < spec.prompts.length).map((i) => spec.prompts[i].prompt),
      columnLabels: SETTINGS.map((s) => `${s.scheduler} ${s.steps}`),
      cells: gridCells.filter((row) => row.length > 0),
      size,
    }),
  );
  console.log(`\ngrid: ${values.grid}`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ guidance, seeds, rows }, null, 2)}\n`);

  const target = rows.find((r) => r.scheduler === TARGET.scheduler && r.steps === TARGET.steps)!;
  const met =
    target.colour >= TARGET.colour && target.shape >= TARGET.shape && target.position >= TARGET.position;
  console.log(
    `${met ? 'PASS' : 'MISS'}: ${TARGET.scheduler} ${TARGET.steps} steps on unseen combinations: colour ` +
      `${pct(target.colour)} (>= 95%), shape ${pct(target.shape)} (>= 90%), position ${pct(target.position)} (>= 90%)`,
  );
  if (!met) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

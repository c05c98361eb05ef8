/**
 * The x4 upscaler's part of `npm run bench:pipeline`: wall time per image at the native 64 px
 * input (-> 256 px), the share of it outside onnxruntime's run(), and, in a child process of its own
 * so the figure is the upscaler's alone, peak RSS for the largest input (512 px -> 2048 px, the VAE
 * decoded in overlapping tiles). Run alone: `tsx gpu-worker/bench/upscale-bench.ts --model DIR`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadUpscalePipeline } from '../src/index';
import { median, ms } from './pipeline-stats';

export interface UpscaleBenchOptions {
  steps: number;
  /** The catalog's default for demo-upscaler is 1 (no classifier-free guidance, one UNet row). */
  guidance: number;
  runs: number;
  warmup: number;
  /** Steps of the one large-input run (its UNet steps are ~64x a native one's). */
  largeSteps: number;
  largeSide: number;
}

export interface UpscaleBenchReport {
  model: string;
  native: {
    input: string;
    output: string;
    steps: number;
    guidance: number;
    wallMs: number;
    unetStepMs: number;
    vaeDecodeMs: number;
    outsideRunShare: number;
  };
  large: {
    input: string;
    output: string;
    steps: number;
    wallMs: number;
    tiles: number;
    vaeDecodeMs: number;
    outsideRunShare: number;
    peakRssMiB: number;
    baselineRssMiB: number;
  };
}

async function testImage(side: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const inside = (x - side / 2) ** 2 + (y - side / 2) ** 2 < (side / 4) ** 2;
      raw.set(inside ? [220, 30, 30] : [30, 60, 220], 3 * (y * side + x));
    }
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

async function native(dir: string, o: UpscaleBenchOptions): Promise<UpscaleBenchReport['native']> {
  const pipeline = await loadUpscalePipeline(dir, { embeddingCacheSize: 0 });
  const image = await testImage(64);
  const samples = [];
  for (let i = 0; i < o.warmup + o.runs; i++) {
    const start = performance.now();
    const result = await pipeline.upscale(
      pipeline.resolve({
        image,
        prompt: 'a red circle',
        steps: o.steps,
        guidance_scale: o.guidance,
        seed: i,
        scheduler: 'ddim',
      }),
    );
    const wallMs = performance.now() - start;
    if (i >= o.warmup) samples.push({ wallMs, result });
  }
  await pipeline.release();
  const t = samples.map((s) => s.result.timings);
  const first = samples[0].result;
  return {
    input: `${first.input.width}x${first.input.height}`,
    output: `${first.images[0].width}x${first.images[0].height}`,
    steps: o.steps,
    guidance: o.guidance,
    wallMs: median(samples.map((s) => s.wallMs)),
    unetStepMs: median(t.flatMap((x) => x.unetStepMs)),
    vaeDecodeMs: median(t.map((x) => x.vaeDecodeMs)),
    outsideRunShare: median(samples.map((s) => (s.wallMs - s.result.timings.onnxRunMs) / s.wallMs)),
  };
}

/** The largest input, in this process: what the parent reads back as JSON. */
async function largeChild(dir: string, steps: number, guidance: number, side: number): Promise<void> {
  const pipeline = await loadUpscalePipeline(dir, { embeddingCacheSize: 0 });
  const image = await testImage(side);
  const baselineRssMiB = process.resourceUsage().maxRSS / 1024;
  const start = performance.now();
  const result = await pipeline.upscale(
    pipeline.resolve({
      image,
      prompt: 'a red circle',
      steps,
      guidance_scale: guidance,
      seed: 1,
      scheduler: 'ddim',
    }),
  );
  const wallMs = performance.now() - start;
  const report: UpscaleBenchReport['large'] = {
    input: `${result.input.width}x${result.input.height}`,
    output: `${result.images[0].width}x${result.images[0].height}`,
    steps,
    wallMs,
    tiles: result.tiles,
    vaeDecodeMs: result.timings.vaeDecodeMs,
    outsideRunShare: (wallMs - result.timings.onnxRunMs) / wallMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    baselineRssMiB,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await pipeline.release();
}

function large(dir: string, o: UpscaleBenchOptions): Promise<UpscaleBenchReport['large']> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      self,
      '--child',
      '--model',
      dir,
      '--steps',
      String(o.largeSteps),
      '--guidance',
      String(o.guidance),
      '--side',
      String(o.largeSide),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`large-input run exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) as string));
    });
  });
}

export async function benchUpscaler(dir: string, o: UpscaleBenchOptions): Promise<UpscaleBenchReport> {
  return { model: dir, native: await native(dir, o), large: await large(dir, o) };
}

export function upscaleLines(r: UpscaleBenchReport): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  return [
    `upscaler ${r.model}  ${r.native.input} -> ${r.native.output}  ${r.native.steps} steps ddim  guidance ${r.native.guidance}`,
    `  wall per image      ${ms(r.native.wallMs)}`,
    `  UNet per step       ${ms(r.native.unetStepMs)} median`,
    `  VAE decode          ${ms(r.native.vaeDecodeMs)}`,
    `  outside run()       ${pct(r.native.outsideRunShare)} of upscale() wall time (target <= 3 %)`,
    `  largest input       ${r.large.input} -> ${r.large.output}, ${r.large.steps} steps: ${ms(r.large.wallMs)}, ` +
      `VAE ${ms(r.large.vaeDecodeMs)} in ${r.large.tiles} tiles, ${pct(r.large.outsideRunShare)} outside run()`,
    `  peak RSS            ${r.large.peakRssMiB.toFixed(0)} MiB for the largest input ` +
      `(${r.large.baselineRssMiB.toFixed(0)} MiB after loading, own process)`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'models/demo-upscaler' },
      child: { type: 'boolean', default: false },
      steps: { type: 'string', default: '3' },
      guidance: { type: 'string', default: '1' },
      side: { type: 'string', default: '512' },
      runs: { type: 'string', default: '5' },
      'large-steps': { type: 'string', default: '2' },
    },
  });
  if (values.child)
    await largeChild(values.model, Number(values.steps), Number(values.guidance), Number(values.side));
  else {
    const report = await benchUpscaler(values.model, {
      steps: Number(values.steps),
      guidance: Number(values.guidance),
      runs: Number(values.runs),
      warmup: 2,
      largeSteps: Number(values['large-steps']),
      largeSide: Number(values.side),
    });
    process.stdout.write(`${upscaleLines(report).join('\n')}\n`);
  }
}

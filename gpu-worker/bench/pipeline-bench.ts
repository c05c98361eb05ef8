/**
 * Pipeline benchmark: `npm run bench:pipeline -- [--model <dir> | --fixture sd|sdxl] [--steps 25] [--runs 5]`.
 * Times every stage of txt2img at the model's native size (tokenize, text encoder, each UNet
 * step, scheduler, VAE decode, PNG encode), images/s, peak RSS, the share of wall time spent
 * outside onnxruntime's run() (target <= 3% on the demo model), and classifier-free guidance
 * as one UNet batch of 2 against two separate runs. Without --model it uses
 * models/demo-shapes when present, else builds the tiny test fixture (whose networks are so
 * small that the JS share is not meaningful).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeImage, type GenerateResult, loadPipeline, resolveAndGenerate } from '../src/index';
import { exists } from '../src/model/read-config';
import { writeTinyModel } from '../test-fixtures/tiny-sd-folder';
import { writeTinySdxlModel } from '../test-fixtures/tiny-sdxl';
import { median, ms, percentile, sum } from './pipeline-stats';
import { benchUpscaler, upscaleLines } from './upscale-bench';

const DEMO_MODEL = 'models/demo-shapes';
const DEMO_UPSCALER = 'models/demo-upscaler';
const ENCODER_WARMUP = 300;
/** Alternating rounds of the sequential and the overlapped image stream. */
const STREAM_ROUNDS = 3;

interface Sample {
  result: GenerateResult;
  encodeMs: number;
  wallMs: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      /** Without --model: `sd` (default: the demo model when built, else the tiny SD fixture) or `sdxl` (the tiny SDXL fixture). */
      fixture: { type: 'string' },
      steps: { type: 'string', default: '25' },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      scheduler: { type: 'string', default: 'ddim' },
      threads: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      json: { type: 'boolean', default: false },
      spinning: { type: 'boolean', default: false },
      batch: { type: 'string', default: '4' },
      /** Another prompt, e.g. one of several chunks or with weights (a long prompt costs text-encoder runs and attention). */
      prompt: { type: 'string' },
      upscaler: { type: 'string' },
      'upscale-steps': { type: 'string', default: '3' },
      /** The catalog's default for demo-upscaler. */
      'upscale-guidance': { type: 'string', default: '1' },
      'large-steps': { type: 'string', default: '2' },
    },
  });
  let fixtureDir: string | undefined;
  let modelDir = values.model;
  if (!modelDir && values.fixture === 'sdxl') {
    fixtureDir = await mkdtemp(join(tmpdir(), 'ldm-bench-'));
    modelDir = await writeTinySdxlModel(join(fixtureDir, 'tiny-sdxl'));
  } else if (!modelDir && values.fixture === 'sd') {
    fixtureDir = await mkdtemp(join(tmpdir(), 'ldm-bench-'));
    modelDir = await writeTinyModel(join(fixtureDir, 'tiny'));
  } else if (values.fixture !== undefined && values.fixture !== 'sd' && values.fixture !== 'sdxl') {
    throw new Error(`--fixture ${values.fixture}: expected sd or sdxl`);
  }
  if (!modelDir) {
    if (await exists(join(DEMO_MODEL, 'model_index.json'))) modelDir = DEMO_MODEL;
    else {
      fixtureDir = await mkdtemp(join(tmpdir(), 'ldm-bench-'));
      modelDir = await writeTinyModel(join(fixtureDir, 'tiny'));
    }
  }
  const steps = Number(values.steps);
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  // No embedding cache: every run pays tokenize + text encoder, as a new prompt would.
  const pipeline = await loadPipeline(modelDir, {
    embeddingCacheSize: 0,
    allowSpinning: values.spinning,
    threads: values.threads ? Number(values.threads) : undefined,
  });
  const request = {
    prompt: values.prompt ?? 'a red circle in the top left on a blue background',
    negative_prompt: '',
    steps,
    scheduler: values.scheduler,
    guidance_scale: 7.5,
    width: values.width ? Number(values.width) : undefined,
    height: values.height ? Number(values.height) : undefined,
  };

  const once = async (seed: number, unetBatchLimit?: number): Promise<Sample> => {
    const start = performance.now();
    const result = await resolveAndGenerate(pipeline, { ...request, seed }, { unetBatchLimit });
    const image = result.images[0];
    const encodeStart = performance.now();
    await encodeImage(image.rgb, image.width, image.height, {
      format: 'png',
      metadata: { ...result.request, seed: image.seed, model: pipeline.info.name },
    });
    const encodeMs = performance.now() - encodeStart;
    return { result, encodeMs, wallMs: performance.now() - start };
  };

  // A long-running worker has encoded thousands of images, so V8 has optimised the encoder's
  // JavaScript; three warm-up generations alone would time it half-interpreted.
  const warm = await resolveAndGenerate(pipeline, { ...request, seed: 0 });
  for (let i = 0; i < ENCODER_WARMUP; i++) {
    const image = warm.images[0];
    await encodeImage(image.rgb, image.width, image.height, {
      format: 'png',
      metadata: { ...warm.request, seed: image.seed, model: pipeline.info.name },
    });
  }

  // The two CFG modes alternate run by run, so a change in machine load hits both alike.
  const batched: Sample[] = [];
  const separate: Sample[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const b = await once(i);
    const s = await once(i, 1);
    if (i >= warmup) {
      batched.push(b);
      separate.push(s);
    }
  }
  // The worker's pattern: image k's PNG encode (libvips, off the main thread) runs while image
  // k+1 is denoised, as a worker slot moves to its next batch once inference is over. Streams
  // with and without the overlap alternate, so a change in machine load hits both alike.
  const generateAndEncode = async (seed: number) => {
    const result = await resolveAndGenerate(pipeline, { ...request, seed });
    const image = result.images[0];
    return {
      runMs: result.timings.onnxRunMs,
      encode: () =>
        encodeImage(image.rgb, image.width, image.height, {
          format: 'png',
          metadata: { ...result.request, seed: image.seed, model: pipeline.info.name },
        }),
    };
  };
  const streams = { overlapped: { wallMs: 0, runMs: 0 }, sequential: { wallMs: 0, runMs: 0 } };
  for (let round = 0; round < STREAM_ROUNDS; round++) {
    for (const mode of ['sequential', 'overlapped'] as const) {
      const stream = await imageStream(runs, mode === 'overlapped', generateAndEncode);
      streams[mode].wallMs += stream.wallMs;
      streams[mode].runMs += stream.runMs;
    }
  }
  const streamImages = STREAM_ROUNDS * runs;

  // img2img once per run for the VAE encoder's time (strength 0.5: half the steps).
  const vaeEncode: number[] = [];
  if (pipeline.info.tasks.includes('img2img')) {
    const first = batched[0].result.images[0];
    const image = await encodeImage(first.rgb, first.width, first.height, { format: 'png' });
    for (let i = 0; i < warmup + runs; i++) {
      const result = await resolveAndGenerate(pipeline, { ...request, seed: i, image, strength: 0.5 });
      if (i >= warmup) vaeEncode.push(result.timings.vaeEncodeMs);
    }
  }
  // Throughput with several images in one UNet batch (what the worker's batching buys).
  const batchSize = Number(values.batch);
  const batchWall: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const start = performance.now();
    await resolveAndGenerate(pipeline, { ...request, seed: i, num_outputs: batchSize });
    if (i >= warmup) batchWall.push(performance.now() - start);
  }
  await pipeline.release();
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });

  const t = (s: Sample) => s.result.timings;
  const allSteps = batched.flatMap((s) => t(s).unetStepMs);
  const wall = median(batched.map((s) => s.wallMs));
  // Outside run(): everything in generate() (+ the PNG encode) that is not onnxruntime's run().
  const outsideShare = batched.map((s) => (s.wallMs - t(s).onnxRunMs) / s.wallMs);
  const outsideGenerate = batched.map((s) => (t(s).totalMs - t(s).onnxRunMs) / t(s).totalMs);
  const stepBatched = median(allSteps);
  const stepSeparate = median(separate.flatMap((s) => t(s).unetStepMs));
  const r = batched[0].result;
  const report = {
    model: modelDir,
    size: `${r.images[0].width}x${r.images[0].height}`,
    steps,
    scheduler: r.request.scheduler,
    runs,
    tokenizeMs: median(batched.map((s) => t(s).tokenizeMs)),
    textEncoderMs: median(batched.map((s) => t(s).textEncoderMs)),
    unetStepMedianMs: stepBatched,
    unetStepP95Ms: percentile(allSteps, 95),
    unetTotalMs: median(batched.map((s) => sum(t(s).unetStepMs))),
    schedulerTotalMs: median(batched.map((s) => t(s).schedulerMs)),
    unetStepMsByIndex: t(batched[0]).unetStepMs.map((_, i) => median(batched.map((s) => t(s).unetStepMs[i]))),
    vaeDecodeMs: median(batched.map((s) => t(s).vaeDecodeMs)),
    vaeEncodeMs: median(vaeEncode),
    pngEncodeMs: median(batched.map((s) => s.encodeMs)),
    wallMs: wall,
    imagesPerSecond: 1000 / wall,
    outsideRunShare: median(outsideShare),
    sequentialImagesPerSecond: (1000 * streamImages) / streams.sequential.wallMs,
    sequentialOutsideRunShare: outsideOf(streams.sequential),
    overlappedImagesPerSecond: (1000 * streamImages) / streams.overlapped.wallMs,
    overlappedOutsideRunShare: outsideOf(streams.overlapped),
    outsideRunShareGenerateOnly: median(outsideGenerate),
    batchSize,
    batchImagesPerSecond: (1000 * batchSize) / median(batchWall),
    cfgBatchOf2StepMs: stepBatched,
    cfgTwoRunsStepMs: stepSeparate,
    cfgSpeedup: stepSeparate / stepBatched,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  // The x4 upscaler beside txt2img, when one is there (models/demo-upscaler or --upscaler).
  const upscalerDir =
    values.upscaler ?? ((await exists(join(DEMO_UPSCALER, 'model_index.json'))) ? DEMO_UPSCALER : undefined);
  const upscaler = upscalerDir
    ? await benchUpscaler(upscalerDir, {
        steps: Number(values['upscale-steps']),
        guidance: Number(values['upscale-guidance']),
        runs,
        warmup,
        largeSteps: Number(values['large-steps']),
        largeSide: 512,
      })
    : undefined;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...report, upscaler }, null, 2)}\n`);
    return;
  }
  const lines = [
    `model ${report.model}  ${report.size}  ${steps} steps  ${report.scheduler}  guidance 7.5  median of ${runs} runs`,
    `  tokenize            ${ms(report.tokenizeMs)}`,
    `  text encoder        ${ms(report.textEncoderMs)}  (prompt + negative prompt)`,
    `  UNet per step       ${ms(report.unetStepMedianMs)} median, ${ms(report.unetStepP95Ms)} p95  (batch of 2)`,
    `  UNet all steps      ${ms(report.unetTotalMs)}`,
    `  scheduler + CFG     ${ms(report.schedulerTotalMs)} over all steps`,
    `  UNet step by index  ${report.unetStepMsByIndex.map((v) => v.toFixed(1)).join(' ')} ms`,
    `  VAE decode          ${ms(report.vaeDecodeMs)}`,
    `  VAE encode          ${ms(report.vaeEncodeMs)}  (img2img input)`,
    `  PNG encode          ${ms(report.pngEncodeMs)}`,
    `  wall per image      ${ms(report.wallMs)}  = ${report.imagesPerSecond.toFixed(2)} images/s`,
    `  batch of ${batchSize} images    ${report.batchImagesPerSecond.toFixed(2)} images/s (one UNet call of ${2 * batchSize} rows per step, no PNG)`,
    `  outside run()       share of wall time not in onnxruntime's run() (target <= 3 % on the demo model):`,
    `    generate() alone                          ${pct(report.outsideRunShareGenerateOnly)}`,
    `    generate() then PNG, one image at a time  ${pct(report.outsideRunShare)} (median image), ` +
      `${pct(report.sequentialOutsideRunShare)} over a stream, ${report.sequentialImagesPerSecond.toFixed(2)} images/s`,
    `    the worker's pattern: PNG overlapped      ${pct(report.overlappedOutsideRunShare)} over a stream, ` +
      `${report.overlappedImagesPerSecond.toFixed(2)} images/s`,
    `      (on a CPU the encode's core time moves into run(), so images/s stays the same; a GPU idles ` +
      `only for the share above)`,
    `  CFG per step        one batch of 2: ${ms(report.cfgBatchOf2StepMs)}, two runs: ${ms(report.cfgTwoRunsStepMs)} (x${report.cfgSpeedup.toFixed(2)})`,
    `  peak RSS            ${report.peakRssMiB.toFixed(0)} MiB`,
    ...(upscaler
      ? upscaleLines(upscaler)
      : ['upscaler: none (build tools/demo-upscaler or pass --upscaler DIR)']),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * `count` images in a row, each encoded either before the next starts or while it denoises;
 * the share outside run() is the stream's wall time not spent in onnxruntime.
 */
async function imageStream(
  count: number,
  overlap: boolean,
  generate: (seed: number) => Promise<{ runMs: number; encode: () => Promise<Buffer> }>,
): Promise<{ wallMs: number; runMs: number }> {
  let runMs = 0;
  let previous: Promise<unknown> = Promise.resolve();
  const start = performance.now();
  for (let seed = 0; seed < count; seed++) {
    const next = await generate(seed);
    runMs += next.runMs;
    if (overlap) {
      await previous;
      previous = next.encode();
    } else await next.encode();
  }
  await previous;
  return { wallMs: performance.now() - start, runMs };
}

const pct = (share: number) => `${(share * 100).toFixed(2)} %`;

function outsideOf(stream: { wallMs: number; runMs: number }): number {
  return (stream.wallMs - stream.runMs) / stream.wallMs;
}

await main();

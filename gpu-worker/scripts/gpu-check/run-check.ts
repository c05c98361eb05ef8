import {
  encodeImage,
  type LatentDiffusionPipeline,
  resolveAndGenerate,
  type StandaloneRequest,
} from '../../src/index';
import { CHECK_PROMPT, checkCases } from './check-cases';
import { psnr } from './psnr';

export interface CaseResult {
  name: string;
  psnrDb: number;
  pass: boolean;
}

export interface ProviderSpeed {
  /** Median wall time of one UNet step (all its runs), warm. */
  unetMsPerStep: number;
  imagesPerSecond: number;
}

export interface CheckReport {
  cases: CaseResult[];
  /** The first generate() on the provider minus a warm one: shader/kernel compilation and allocator growth. */
  firstRunOverheadMs: number;
  speed: { device: ProviderSpeed; cpu: ProviderSpeed };
  passed: boolean;
}

export interface RunCheckOptions {
  steps: number;
  /** Images timed per provider for images/s. */
  runs: number;
  thresholdDb: number;
  /** One line per finished case, as it goes. */
  onCase?: (result: CaseResult) => void;
}

/**
 * Runs the same requests on a pipeline loaded on the provider under test and on one loaded on the
 * CPU, compares every image pair, then times both. Nothing here knows which provider `device` is:
 * the CPU against itself is a valid (and exact) run, which is how the check is tested on machines
 * without a GPU.
 */
export async function runCheck(
  device: LatentDiffusionPipeline,
  cpu: LatentDiffusionPipeline,
  options: RunCheckOptions,
): Promise<CheckReport> {
  const size = { width: device.info.nativeWidth, height: device.info.nativeHeight };
  const probe = { prompt: CHECK_PROMPT, steps: options.steps, seed: 7, ...size };
  const firstStart = performance.now();
  await resolveAndGenerate(device, probe);
  const firstMs = performance.now() - firstStart;
  const warmStart = performance.now();
  await resolveAndGenerate(device, probe);
  const warmMs = performance.now() - warmStart;

  const source = (await resolveAndGenerate(cpu, { ...probe, seed: 11 })).images[0];
  const sourcePng = new Uint8Array(
    await encodeImage(source.rgb, source.width, source.height, { format: 'png' }),
  );
  const cases: CaseResult[] = [];
  for (const c of checkCases(options.steps, sourcePng)) {
    const request = { ...c.request, ...size };
    const [a, b] = [await resolveAndGenerate(device, request), await resolveAndGenerate(cpu, request)];
    const db = psnr(a.images[0].rgb, b.images[0].rgb);
    const result = { name: c.name, psnrDb: db, pass: db >= options.thresholdDb };
    cases.push(result);
    options.onCase?.(result);
  }
  const speed = {
    device: await measureSpeed(device, { ...probe, seed: 21 }, options.runs),
    cpu: await measureSpeed(cpu, { ...probe, seed: 21 }, options.runs),
  };
  return {
    cases,
    firstRunOverheadMs: Math.max(0, firstMs - warmMs),
    speed,
    passed: cases.every((c) => c.pass),
  };
}

async function measureSpeed(
  pipeline: LatentDiffusionPipeline,
  request: StandaloneRequest,
  runs: number,
): Promise<ProviderSpeed> {
  const stepMs: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const result = await resolveAndGenerate(pipeline, { ...request, seed: (request.seed ?? 0) + i });
    stepMs.push(...result.timings.unetStepMs);
  }
  const seconds = (performance.now() - start) / 1000;
  stepMs.sort((x, y) => x - y);
  return { unetMsPerStep: stepMs[Math.floor(stepMs.length / 2)] ?? 0, imagesPerSecond: runs / seconds };
}

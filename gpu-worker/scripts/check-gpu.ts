/**
 * `npm run check:gpu [-- --provider auto|cuda|webgpu --model DIR --steps 20 --runs 5]`: proves the GPU
 * path on whatever GPU this machine has, in minutes. It chooses the provider as the worker does,
 * runs the demo model (or DIR) on it and on the CPU with the same seeds — txt2img and img2img under
 * three schedulers — and prints the provider and device, the PSNR of each GPU image against its CPU
 * twin (pass >= 35 dB), UNet ms per step and images/s on each, the first-run (shader/kernel compile)
 * overhead and the peak host memory. Exit 0 when every image passed on a GPU provider, or on the
 * CPU with `--provider cpu` (which checks the command itself: CPU against CPU); 1 when a GPU was
 * asked for and none started, or an image failed; 2 for bad usage.
 */
import { parseArgs } from 'node:util';
import {
  chooseProvider,
  loadPipeline,
  PROVIDER_CHOICES,
  type ProviderChoice,
  ProviderUnavailableError,
} from '../src/index';
import { runCheck } from './gpu-check/run-check';

const USAGE = `Usage: npm run check:gpu -- [--provider auto|cuda|webgpu|cpu] [--model DIR] [--steps N] [--runs N]
  --provider   the provider under test (default auto: CUDA, then WebGPU); cpu checks the command itself
  --model      a diffusers/optimum ONNX export (default models/demo-shapes)
  --steps      denoising steps per image (default 20)
  --runs       images timed per provider for images/s (default 5)
  --device-id  GPU index (default 0)
  --threshold  minimum PSNR in dB of each GPU image against its CPU twin (default 35)
`;

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCheckArgs>;
  try {
    parsed = parseCheckArgs();
  } catch (error) {
    // An unknown option or a value that looks like one (`--device-id -1`): usage, not a crash.
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const requested = values.provider as ProviderChoice;
  if (!PROVIDER_CHOICES.includes(requested)) {
    process.stderr.write(`error: --provider must be one of ${PROVIDER_CHOICES.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const steps = intAtLeast(values.steps, 1);
  const runs = intAtLeast(values.runs, 1);
  const deviceId = intAtLeast(values['device-id'], 0);
  const thresholdDb = Number(values.threshold);
  const bad =
    steps === undefined
      ? '--steps must be an integer >= 1'
      : runs === undefined
        ? '--runs must be an integer >= 1'
        : deviceId === undefined
          ? '--device-id must be an integer >= 0'
          : values.threshold.trim() === '' || !Number.isFinite(thresholdDb)
            ? '--threshold must be a number (dB)'
            : undefined;
  if (bad || steps === undefined || runs === undefined || deviceId === undefined) {
    process.stderr.write(`error: ${bad}\n\n${USAGE}`);
    return 2;
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const selection = await chooseProvider(requested, { deviceId, log: say });
  if (selection.provider === 'cpu' && requested !== 'cpu') {
    say('FAIL: no GPU provider started here (reasons above)');
    return 1;
  }
  const loadStart = performance.now();
  const device = await loadPipeline(values.model, { provider: selection.provider, deviceId });
  const loadMs = performance.now() - loadStart;
  // The try starts before the CPU load: `device` holds GPU memory, released even if that load throws.
  let cpu: Awaited<ReturnType<typeof loadPipeline>> | undefined;
  try {
    cpu = await loadPipeline(values.model, { provider: 'cpu' });
    say(
      `model ${values.model} (${device.info.nativeWidth}x${device.info.nativeHeight}), session load on ${selection.provider} ${loadMs.toFixed(0)} ms`,
    );
    const report = await runCheck(device, cpu, {
      steps,
      runs,
      thresholdDb,
      onCase: (c) =>
        say(
          `  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name.padEnd(24)} PSNR ${formatDb(c.psnrDb)} (>= ${thresholdDb} dB)`,
        ),
    });
    const { device: d, cpu: c } = report.speed;
    say(
      `first run (shader/kernel compile) overhead on ${selection.provider}: ${report.firstRunOverheadMs.toFixed(0)} ms`,
    );
    say(
      `UNet per step: ${selection.provider} ${d.unetMsPerStep.toFixed(2)} ms, cpu ${c.unetMsPerStep.toFixed(2)} ms`,
    );
    say(
      `images/s: ${selection.provider} ${d.imagesPerSecond.toFixed(2)}, cpu ${c.imagesPerSecond.toFixed(2)}`,
    );
    say(`peak host memory (max RSS): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    say(report.passed ? 'PASS' : 'FAIL: an image differs from its CPU twin beyond the threshold');
    return report.passed ? 0 : 1;
  } finally {
    await device.release();
    await cpu?.release();
  }
}

/** The integer `text` spells (digits only), when it is >= min; undefined otherwise. */
function intAtLeast(text: string, min: number): number | undefined {
  if (!/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

function parseCheckArgs() {
  return parseArgs({
    options: {
      provider: { type: 'string', default: 'auto' },
      model: { type: 'string', default: 'models/demo-shapes' },
      steps: { type: 'string', default: '20' },
      runs: { type: 'string', default: '5' },
      'device-id': { type: 'string', default: '0' },
      threshold: { type: 'string', default: '35' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function formatDb(db: number): string {
  return Number.isFinite(db) ? `${db.toFixed(1)} dB` : 'inf (identical)';
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ProviderUnavailableError) {
      process.stdout.write(`FAIL: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`error: ${(error as Error)?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);

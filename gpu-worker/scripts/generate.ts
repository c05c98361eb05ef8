/**
 * Command-line generation: `npm run generate -- --model <dir> --prompt "..." --out out.png`.
 * Runs the same library the worker runs and writes the images with their parameters embedded.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import {
  chooseProvider,
  encodeImage,
  GenerationCanceledError,
  loadPipeline,
  PipelineInputError,
  ProviderUnavailableError,
  SchedulerConfigError,
} from '../src/index';
import { CliUsageError, parseCli, USAGE } from './cli-args';
import { progressBar } from './progress-bar';

/** out.png -> out.png for one image, out-1.png, out-2.png, ... for several. */
function outputPath(out: string, index: number, count: number, format: string): string {
  const ext = extname(out);
  const stem = ext ? out.slice(0, -ext.length) : out;
  const suffix = format === 'jpeg' && /\.jpe?g$/i.test(ext) ? ext : `.${format}`;
  return count === 1 ? `${stem}${suffix}` : `${stem}-${index + 1}${suffix}`;
}

async function main(): Promise<number> {
  const options = await parseCli(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const { provider } = await chooseProvider(options.provider, { deviceId: options.deviceId, log });
  const pipeline = await loadPipeline(options.modelDir, {
    provider,
    deviceId: options.deviceId,
    threads: options.threads,
    log,
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const bar = progressBar(process.stderr);
  try {
    const request = await pipeline.resolve(options.request);
    const result = await pipeline.generate(request, {
      signal: controller.signal,
      onProgress: ({ step, total }) => bar.update(step, total),
    });
    const r = result.request;
    if (result.truncated.prompt)
      process.stderr.write('warning: the prompt was truncated to the text encoder length\n');
    if (result.truncated.negative_prompt)
      process.stderr.write('warning: the negative prompt was truncated\n');
    for (const [i, image] of result.images.entries()) {
      const bytes = await encodeImage(image.rgb, image.width, image.height, {
        format: options.format,
        metadata: {
          prompt: r.prompt,
          negative_prompt: r.negative_prompt,
          seed: image.seed,
          steps: r.steps,
          scheduler: r.scheduler,
          guidance_scale: r.guidance_scale,
          model: pipeline.info.name,
          width: image.width,
          height: image.height,
          task: r.task,
          ...(r.task === 'txt2img' ? {} : { strength: r.strength }),
        },
      });
      const path = outputPath(options.out, i, result.images.length, options.format);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
      process.stdout.write(`${path} ${image.width}x${image.height} seed ${image.seed}\n`);
    }
    process.stderr.write(
      `${(result.timings.totalMs / 1000).toFixed(2)} s (${r.steps} steps, ${r.scheduler})\n`,
    );
    return 0;
  } finally {
    await pipeline.release();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof CliUsageError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (
      error instanceof PipelineInputError ||
      error instanceof SchedulerConfigError ||
      error instanceof ProviderUnavailableError
    ) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof GenerationCanceledError) {
      process.stderr.write(`\n${error.message}\n`);
      process.exitCode = 130;
    } else {
      process.stderr.write(`error: ${(error as Error).message ?? error}\n`);
      process.exitCode = 1;
    }
  },
);

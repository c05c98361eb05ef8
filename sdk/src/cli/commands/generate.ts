import { writeFileSync } from 'node:fs';
import type { GenerationRequestInput } from '@ldm/shared';
import {
  type Command,
  type CommandContext,
  EXIT,
  intFlag,
  numberFlag,
  printJson,
  stringFlag,
  UsageError,
  type Values,
} from '../command';
import { describeGeneration } from '../describe-generation';
import { imageFileToDataUrl } from '../image-file';
import { formatFromPath, outputPaths } from '../output-paths';
import { ProgressBar } from '../progress-bar';

const TASKS = ['txt2img', 'img2img', 'inpaint', 'upscale'] as const;
const FORMATS = ['png', 'webp', 'jpeg'] as const;
const WEBHOOK_EVENTS = ['start', 'completed'] as const;

function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw new UsageError(`--${name} must be one of: ${allowed.join(', ')}`);
  return raw as T;
}

function listFlag<T extends string>(values: Values, name: string, allowed: readonly T[]): T[] | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((item) => item.trim());
  const bad = items.find((item) => !(allowed as readonly string[]).includes(item));
  if (bad !== undefined)
    throw new UsageError(`--${name} takes a comma-separated list of: ${allowed.join(', ')}`);
  return items as T[];
}

/** The request from the flags. Only what was given is sent: the model's defaults fill the rest. */
export function requestFromFlags(values: Values, prompt: string): GenerationRequestInput {
  const image = stringFlag(values, 'image');
  const mask = stringFlag(values, 'mask');
  const task = oneOf(values, 'task', TASKS) ?? (mask ? 'inpaint' : image ? 'img2img' : undefined);
  const format = oneOf(values, 'format', FORMATS) ?? formatFromPath(stringFlag(values, 'output'));
  const request: GenerationRequestInput = {
    prompt,
    model: stringFlag(values, 'model'),
    task,
    negative_prompt: stringFlag(values, 'negative'),
    width: intFlag(values, 'width'),
    height: intFlag(values, 'height'),
    steps: intFlag(values, 'steps'),
    guidance_scale: numberFlag(values, 'guidance'),
    scheduler: stringFlag(values, 'scheduler') as GenerationRequestInput['scheduler'],
    seed: intFlag(values, 'seed'),
    num_outputs: intFlag(values, 'num-outputs'),
    output_format: format,
    image: image ? imageFileToDataUrl(image, '--image') : undefined,
    mask: mask ? imageFileToDataUrl(mask, '--mask') : undefined,
    strength: numberFlag(values, 'strength'),
    noise_level: intFlag(values, 'noise-level'),
    upscale: intFlag(values, 'upscale') as GenerationRequestInput['upscale'],
    webhook: stringFlag(values, 'webhook'),
    webhook_events_filter: listFlag(values, 'webhook-events', WEBHOOK_EVENTS),
  };
  return Object.fromEntries(
    Object.entries(request).filter(([, v]) => v !== undefined),
  ) as GenerationRequestInput;
}

async function generate(ctx: CommandContext, values: Values, positionals: string[]): Promise<number> {
  const prompt = positionals.join(' ');
  const request = requestFromFlags(values, prompt);
  if (!prompt.trim() && request.task !== 'upscale')
    throw new UsageError('generate needs a prompt: ldm generate "a red circle"');
  const client = ctx.client();
  const created = await client.create(request);
  if (values['no-wait']) {
    if (ctx.json) printJson(ctx, created);
    else ctx.stdout.write(`${created.id}  ${created.status}\n`);
    return EXIT.ok;
  }

  // Ctrl-C cancels the job (it would otherwise keep spending credits), then exits.
  const interrupted = new AbortController();
  const onSigint = () => interrupted.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  const bar = ctx.quiet ? undefined : new ProgressBar(ctx.stderr, created.id);
  let done: Awaited<ReturnType<typeof client.wait>>;
  try {
    const timeout = intFlag(values, 'timeout');
    done = await client.wait(created, {
      signal: interrupted.signal,
      timeoutMs: timeout === undefined ? undefined : timeout * 1000,
      onProgress: (update) => bar?.update(update),
    });
  } catch (error) {
    bar?.finish();
    if (interrupted.signal.aborted) {
      const canceled = await client.cancel(created.id).catch(() => undefined);
      ctx.stderr.write(
        `interrupted: generation ${created.id} ${canceled ? canceled.status : 'may still be running'}\n`,
      );
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  bar?.finish();

  if (done.status !== 'succeeded') {
    if (ctx.json) printJson(ctx, done);
    const why = done.error ? `${done.error.code}: ${done.error.message}` : done.status;
    ctx.stderr.write(`error: generation ${done.id} ${done.status}: ${why}\n`);
    return EXIT.generationFailed;
  }
  const paths = outputPaths(
    stringFlag(values, 'output'),
    done.id,
    done.outputs.map((o) => o.content_type),
  );
  for (const [i, output] of done.outputs.entries()) {
    writeFileSync(paths[i], await client.download(output));
  }
  if (ctx.json) {
    printJson(ctx, { ...done, files: paths });
  } else {
    if (!ctx.quiet) ctx.stderr.write(describeGeneration(done));
    for (const path of paths) ctx.stdout.write(`${path}\n`);
  }
  return EXIT.ok;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'create an image and wait for it, with live step progress',
  usage: `generate "prompt" [-o out.png] [options]
  -o, --output FILE       where to write the image (several: FILE-1.png, FILE-2.png...)
      --width N --height N --steps N --guidance X --scheduler NAME --seed N
      --num-outputs N     1-4
      --format FMT        png | webp | jpeg (default: from -o's extension, else png)
      --negative TEXT     negative prompt
      --model NAME --task txt2img|img2img|inpaint|upscale
      --image FILE --mask FILE --strength X   img2img / inpaint inputs
      --upscale 4         txt2img: also upscale x4 in the same job (--noise-level N, default 20)
      --webhook URL       notify this URL (Standard Webhooks signed)
      --webhook-events E  start,completed (default both)
      --no-wait           print the id and return at once
      --timeout SECONDS   stop waiting after this long (the job keeps running)`,
  options: {
    output: { type: 'string', short: 'o' },
    width: { type: 'string' },
    height: { type: 'string' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    scheduler: { type: 'string' },
    seed: { type: 'string' },
    'num-outputs': { type: 'string' },
    format: { type: 'string' },
    negative: { type: 'string' },
    model: { type: 'string' },
    task: { type: 'string' },
    image: { type: 'string' },
    mask: { type: 'string' },
    strength: { type: 'string' },
    upscale: { type: 'string' },
    'noise-level': { type: 'string' },
    webhook: { type: 'string' },
    'webhook-events': { type: 'string' },
    'no-wait': { type: 'boolean' },
    timeout: { type: 'string' },
  },
  run: generate,
};

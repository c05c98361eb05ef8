import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { KARRAS_SCHEDULERS, type RequestFields, RNGS, SCHEDULERS, TASKS } from '@ldm/shared';
import { type OutputFormat, PROVIDER_CHOICES, type ProviderChoice } from '../src/index';

export const USAGE = `Usage: npm run generate -- --model <dir> --prompt "..." --out out.png [options]

  --model <dir>             diffusers/optimum ONNX Stable Diffusion folder (required)
  --prompt <text>           what to draw (required)
  --negative-prompt <text>  what to steer away from
  --task <name>             txt2img (default), img2img (needs --image), inpaint (needs --image and --mask)
  --image <file>            input image (PNG/JPEG/WebP) for img2img/inpaint
  --mask <file>             inpainting mask: white = repaint, black = keep
  --strength <0-1>          img2img/inpaint: how much to repaint (default 0.8 img2img, 1.0 inpaint)
  --width <px> --height <px>   multiples of 8 (default: the model's native size; img2img/inpaint:
                            the input image's size rounded down to a multiple of 8)
  --steps <n>               denoising steps (default 50)
  --guidance-scale <w>      classifier-free guidance (default 7.5; <= 1 turns it off)
  --scheduler <name>        ${SCHEDULERS.join(' | ')}
  --karras                  Karras sigmas (diffusers' use_karras_sigmas) for ${KARRAS_SCHEDULERS.join(', ')}
  --seed <n>                fixes the result (default random); output i uses seed + i
  --rng <name>              noise: torch (default; a seed gives diffusers' CPU image) | xoshiro128 (earlier releases)
  --num-outputs <n>         1-4 images; written as out-1.png, out-2.png, ...
  --output-format <fmt>     png | webp | jpeg (default: from --out's extension)
  --out <file>              where to write (default out.png)
  --provider <name>         auto | cuda | webgpu | cpu (default cpu); auto takes the first that starts
                            (CUDA, WebGPU, CPU) and says why it passed any over; a named one is required
  --device-id <n>           GPU device
  --threads <n>             onnxruntime intra-op threads
`;

export interface CliOptions {
  modelDir: string;
  out: string;
  format: OutputFormat;
  provider: ProviderChoice;
  deviceId?: number;
  threads?: number;
  /** As given: `@ldm/shared`'s resolveRequest fills the rest once the model is loaded. */
  request: RequestFields & { image?: Uint8Array; mask?: Uint8Array };
}

/** A usage error: printed with the usage text, exit code 2. */
export class CliUsageError extends Error {}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new CliUsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  names: readonly T[],
): T | undefined {
  if (value === undefined || (names as readonly string[]).includes(value)) return value as T | undefined;
  throw new CliUsageError(`--${name} must be one of ${names.join(', ')}, got "${value}"`);
}

function format(value: string): OutputFormat {
  const f = value.toLowerCase().replace(/^\./, '').replace('jpg', 'jpeg');
  if (f === 'png' || f === 'webp' || f === 'jpeg') return f;
  throw new CliUsageError(`output format must be png, webp or jpeg, got "${value}"`);
}

export async function parseCli(argv: string[]): Promise<CliOptions | 'help'> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      model: { type: 'string' },
      prompt: { type: 'string' },
      'negative-prompt': { type: 'string' },
      task: { type: 'string' },
      image: { type: 'string' },
      mask: { type: 'string' },
      strength: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      steps: { type: 'string' },
      'guidance-scale': { type: 'string' },
      scheduler: { type: 'string' },
      karras: { type: 'boolean' },
      seed: { type: 'string' },
      rng: { type: 'string' },
      'num-outputs': { type: 'string' },
      'output-format': { type: 'string' },
      out: { type: 'string' },
      provider: { type: 'string' },
      'device-id': { type: 'string' },
      threads: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (!values.model) throw new CliUsageError('--model is required');
  if (values.prompt === undefined) throw new CliUsageError('--prompt is required');
  const provider = (values.provider ?? 'cpu') as ProviderChoice;
  if (!PROVIDER_CHOICES.includes(provider))
    throw new CliUsageError(`--provider must be one of ${PROVIDER_CHOICES.join(', ')}, got "${provider}"`);
  const out = values.out ?? 'out.png';
  const read = async (flag: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      throw new CliUsageError(`--${flag} ${path}: ${(error as Error).message}`);
    }
  };
  return {
    modelDir: values.model,
    out,
    format: format(values['output-format'] ?? (extname(out) || 'png')),
    provider,
    deviceId: number('device-id', values['device-id']),
    threads: number('threads', values.threads),
    request: {
      task: oneOf('task', values.task, TASKS),
      prompt: values.prompt,
      negative_prompt: values['negative-prompt'],
      width: number('width', values.width),
      height: number('height', values.height),
      steps: number('steps', values.steps),
      guidance_scale: number('guidance-scale', values['guidance-scale']),
      scheduler: oneOf('scheduler', values.scheduler, SCHEDULERS),
      use_karras_sigmas: values.karras,
      rng: oneOf('rng', values.rng, RNGS),
      seed: number('seed', values.seed),
      num_outputs: number('num-outputs', values['num-outputs']),
      strength: number('strength', values.strength),
      image: await read('image', values.image),
      mask: await read('mask', values.mask),
    },
  };
}

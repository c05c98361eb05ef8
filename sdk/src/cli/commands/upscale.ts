import { type Command, stringFlag, UsageError } from '../command';
import { generateCommand } from './generate';

/**
 * `ldm upscale IN.png -o OUT.png`: task upscale on the catalog's default upscaler (or --model),
 * 4x the input's size, with the same live step progress, Ctrl-C cancel and output writing as generate.
 */
export const upscaleCommand: Command = {
  name: 'upscale',
  summary: 'upscale an image x4 and wait for it, with live step progress',
  usage: `upscale IN.png [-o OUT.png] [options]
  -o, --output FILE       where to write the result (default: <id>.png)
      --prompt TEXT       what the image shows (optional text conditioning)
      --noise-level N     noise added to the input first, 0-350 (default 20)
      --steps N --seed N --guidance X --scheduler NAME --model NAME --format FMT
      --no-wait --timeout SECONDS   as for generate`,
  options: {
    output: { type: 'string', short: 'o' },
    prompt: { type: 'string' },
    'noise-level': { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    guidance: { type: 'string' },
    scheduler: { type: 'string' },
    model: { type: 'string' },
    format: { type: 'string' },
    'no-wait': { type: 'boolean' },
    timeout: { type: 'string' },
  },
  run(ctx, values, positionals) {
    if (positionals.length !== 1)
      throw new UsageError('upscale takes one input image: ldm upscale IN.png -o OUT.png');
    const prompt = stringFlag(values, 'prompt');
    return generateCommand.run(
      ctx,
      { ...values, task: 'upscale', image: positionals[0] },
      prompt ? [prompt] : [],
    );
  },
};

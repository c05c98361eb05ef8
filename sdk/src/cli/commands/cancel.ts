import { type Command, EXIT, printJson, UsageError } from '../command';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'cancel queued or running work',
  usage: 'cancel ID',
  options: {},
  async run(ctx, _values, positionals) {
    if (positionals.length !== 1) throw new UsageError('cancel takes one generation id');
    const generation = await ctx.client().cancel(positionals[0]);
    if (ctx.json) printJson(ctx, generation);
    else ctx.stdout.write(`${generation.id}  ${generation.status}\n`);
    return EXIT.ok;
  },
};

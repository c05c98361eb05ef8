import { type Command, EXIT, printJson, UsageError } from '../command';
import { describeGeneration } from '../describe-generation';

export const getCommand: Command = {
  name: 'get',
  summary: 'show one generation',
  usage: 'get ID',
  options: {},
  async run(ctx, _values, positionals) {
    if (positionals.length !== 1) throw new UsageError('get takes one generation id');
    const generation = await ctx.client().get(positionals[0]);
    if (ctx.json) printJson(ctx, generation);
    else ctx.stdout.write(describeGeneration(generation));
    return EXIT.ok;
  },
};

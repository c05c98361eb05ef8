import { type Command, EXIT, printJson, UsageError } from '../command';

export const modelsCommand: Command = {
  name: 'models',
  summary: 'models with their sizes, schedulers and prices',
  usage: 'models',
  options: {},
  async run(ctx, _values, positionals) {
    if (positionals.length) throw new UsageError('models takes no arguments');
    const models = await ctx.client().models();
    if (ctx.json) {
      printJson(ctx, { data: models });
      return EXIT.ok;
    }
    for (const m of models) {
      ctx.stdout.write(
        `${m.name} (${m.version})  ${m.tasks.join(', ')}  ${m.native_width}x${m.native_height} native, ${m.min_size}-${m.max_size} px, ` +
          `${m.default_steps} steps ${m.default_scheduler} by default\n  ${m.description}\n  schedulers: ${m.schedulers.join(', ')}\n`,
      );
    }
    return EXIT.ok;
  },
};

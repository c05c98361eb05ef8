import { type Command, EXIT, printJson, stringFlag, UsageError } from '../command';

export const usageCommand: Command = {
  name: 'usage',
  summary: 'units used over a period, by day or by model',
  usage: `usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--group-by day|model]`,
  options: { from: { type: 'string' }, to: { type: 'string' }, 'group-by': { type: 'string' } },
  async run(ctx, values, positionals) {
    if (positionals.length) throw new UsageError('usage takes no arguments');
    const groupBy = stringFlag(values, 'group-by');
    if (groupBy !== undefined && groupBy !== 'day' && groupBy !== 'model') {
      throw new UsageError('--group-by must be one of: day, model');
    }
    const usage = await ctx
      .client()
      .usage({ from: stringFlag(values, 'from'), to: stringFlag(values, 'to'), groupBy });
    if (ctx.json) {
      printJson(ctx, usage);
      return EXIT.ok;
    }
    const width = Math.max(5, ...usage.rows.map((r) => r.key.length));
    const lines = [
      `${usage.from} to ${usage.to}, by ${usage.group_by}`,
      `${usage.group_by.padEnd(width)}  ${'units'.padStart(12)}  ${'jobs'.padStart(6)}`,
    ];
    for (const row of usage.rows)
      lines.push(
        `${row.key.padEnd(width)}  ${String(row.units).padStart(12)}  ${String(row.jobs).padStart(6)}`,
      );
    lines.push(
      `${'total'.padEnd(width)}  ${String(usage.total_units).padStart(12)}  ${String(usage.total_jobs).padStart(6)}`,
      '',
    );
    ctx.stdout.write(lines.join('\n'));
    return EXIT.ok;
  },
};

import { type Command, EXIT, printJson, UsageError } from '../command';

export const accountCommand: Command = {
  name: 'account',
  summary: 'credits, plan and limits',
  usage: 'account',
  options: {},
  async run(ctx, _values, positionals) {
    if (positionals.length) throw new UsageError('account takes no arguments');
    const a = await ctx.client().account();
    if (ctx.json) {
      printJson(ctx, a);
      return EXIT.ok;
    }
    ctx.stdout.write(
      [
        `${a.name} (${a.id}), plan ${a.plan}`,
        `  credits    ${a.credits} units available, ${a.reserved} reserved by running jobs`,
        `  allowance  ${a.allowance_remaining} of ${a.monthly_allowance} units left this month`,
        `  limits     ${a.limits.requests_per_minute} requests/minute, ${a.limits.concurrent_jobs} concurrent jobs`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  },
};

import { type Command, EXIT, intFlag, printJson, stringFlag, UsageError } from '../command';
import { generationRow } from '../describe-generation';

export const listCommand: Command = {
  name: 'list',
  summary: "the account's generations, newest first",
  usage: `list [--limit N] [--cursor C] [--all]
      --limit N     page size, 1-100 (default 20)
      --cursor C    the next_cursor of a previous page
      --all         follow every page`,
  options: { limit: { type: 'string' }, cursor: { type: 'string' }, all: { type: 'boolean' } },
  async run(ctx, values, positionals) {
    if (positionals.length) throw new UsageError('list takes no arguments');
    const client = ctx.client();
    const options = { limit: intFlag(values, 'limit'), cursor: stringFlag(values, 'cursor') };
    if (values.all) {
      const all = [];
      for await (const generation of client.listAll(options)) {
        if (ctx.json) all.push(generation);
        else ctx.stdout.write(`${generationRow(generation)}\n`);
      }
      if (ctx.json) printJson(ctx, { data: all, next_cursor: null });
      return EXIT.ok;
    }
    const page = await client.list(options);
    if (ctx.json) {
      printJson(ctx, page);
      return EXIT.ok;
    }
    for (const generation of page.data) ctx.stdout.write(`${generationRow(generation)}\n`);
    if (page.data.length === 0) ctx.stderr.write('no generations yet\n');
    if (page.next_cursor) ctx.stderr.write(`more: ldm list --cursor ${page.next_cursor}\n`);
    return EXIT.ok;
  },
};

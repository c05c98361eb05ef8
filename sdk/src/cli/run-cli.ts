import { parseArgs } from 'node:util';
import { LdmClient } from '../client';
import { type Command, type CommandContext, EXIT, UsageError } from './command';
import { accountCommand } from './commands/account';
import { adminCommand } from './commands/admin';
import { cancelCommand } from './commands/cancel';
import { generateCommand } from './commands/generate';
import { getCommand } from './commands/get';
import { listCommand } from './commands/list';
import { modelsCommand } from './commands/models';
import { upscaleCommand } from './commands/upscale';
import { usageCommand } from './commands/usage';
import { formatError } from './format-error';
import { type Connection, ConnectionError, resolveConnection } from './resolve-connection';

const COMMANDS: Command[] = [
  generateCommand,
  upscaleCommand,
  getCommand,
  listCommand,
  cancelCommand,
  accountCommand,
  usageCommand,
  modelsCommand,
  adminCommand,
];

const GLOBAL_OPTIONS = {
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GLOBAL_HELP = `  --base-url URL   API origin (default: $LDM_BASE_URL, else .data/stack.json of npm start)
  --api-key KEY    (default: $LDM_API_KEY, else the local stack's key)
  --json           print the API's JSON instead of text
  -q, --quiet      no progress or summaries on stderr`;

function help(command?: Command): string {
  if (command) return `usage: ldm ${command.usage}\n\n${GLOBAL_HELP}\n`;
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n');
  return `usage: ldm <command> [options]\n\n${list}\n\n${GLOBAL_HELP}\n\nldm <command> --help for its options.\n`;
}

export interface CliIo {
  stdout: CommandContext['stdout'];
  stderr: CommandContext['stderr'];
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Runs one `ldm` invocation and returns its exit code; every failure is one `error:` line. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`error: unknown command ${JSON.stringify(name)}\n${help()}`);
    return EXIT.usage;
  }

  let connection: Connection | undefined;
  let flagBaseUrl: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout.write(help(command));
      return EXIT.ok;
    }
    flagBaseUrl = values['base-url'] as string | undefined;
    let client: LdmClient | undefined;
    const ctx: CommandContext = {
      stdout: io.stdout,
      stderr: io.stderr,
      json: Boolean(values.json),
      quiet: Boolean(values.quiet),
      cwd: io.cwd,
      env: io.env,
      baseUrl: () => connection?.baseUrl ?? flagBaseUrl,
      client: () => {
        connection ??= resolveConnection({
          flags: { baseUrl: flagBaseUrl, apiKey: values['api-key'] as string | undefined },
          env: io.env,
          cwd: io.cwd,
        });
        client ??= new LdmClient({ baseUrl: connection.baseUrl, apiKey: connection.apiKey });
        return client;
      },
    };
    return await command.run(ctx, values, positionals);
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const config = error instanceof ConnectionError;
    io.stderr.write(`error: ${formatError(error, connection?.baseUrl ?? flagBaseUrl)}\n`);
    if (usage) io.stderr.write(`usage: ldm ${command.usage.split('\n')[0]}\n`);
    return usage || config ? EXIT.usage : EXIT.error;
  }
}

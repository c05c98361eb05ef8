/**
 * `npm run smoke -- --base https://api.example.com --admin-token adm_...`: checks a deployed stack
 * end to end (sdk/src/smoke/run-smoke.ts). Exit 0 when every step passed, 1 when one failed,
 * 2 for bad usage. The admin token may come from $LDM_ADMIN_TOKEN instead (keeps it out of
 * shell history).
 */
import { parseArgs } from 'node:util';
import { runSmoke } from './run-smoke';

const USAGE = `usage: npm run smoke -- --base URL [--admin-token TOKEN] [options]

  --base URL              the edge's origin (https://api.example.com, or the local stack's)
  --admin-token TOKEN     the edge's ADMIN_TOKEN (default: $LDM_ADMIN_TOKEN)
  --model NAME            model to generate with (default: the catalog's first)
  --width N --height N --steps N   the one generation (default 64 x 64, 2 steps)
  --webhook-url URL       deliver the webhook there and check the edge's delivery log only
  --listen HOST:PORT      where this run's own webhook receiver listens (default 127.0.0.1:0)
  --public-url URL        the URL the edge should use to reach that receiver (a tunnel to it)
  --timeout SECONDS       wait for the generation, cold GPU start included (default 600)
  --keep-key              do not revoke the smoke account's key at the end
  --json                  print the report as JSON`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        base: { type: 'string' },
        'admin-token': { type: 'string' },
        model: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        steps: { type: 'string' },
        'webhook-url': { type: 'string' },
        listen: { type: 'string' },
        'public-url': { type: 'string' },
        timeout: { type: 'string' },
        'keep-key': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (error) {
    fail((error as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name: 'width' | 'height' | 'steps' | 'timeout') => {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
};
const base = values.base?.replace(/\/+$/, '');
if (!base) fail('--base is required');
try {
  new URL(base);
} catch {
  fail(`--base ${JSON.stringify(base)} is not a URL`);
}
const adminToken = values['admin-token'] ?? process.env.LDM_ADMIN_TOKEN;
if (!adminToken) fail('--admin-token or $LDM_ADMIN_TOKEN is required');
let listen: { host: string; port: number } | undefined;
if (values.listen) {
  const m = /^(.+):(\d+)$/.exec(values.listen);
  if (!m) fail('--listen must be HOST:PORT');
  listen = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
const timeout = int('timeout');

const report = await runSmoke({
  baseUrl: base,
  adminToken,
  model: values.model,
  width: int('width'),
  height: int('height'),
  steps: int('steps'),
  webhookUrl: values['webhook-url'],
  listen,
  publicUrl: values['public-url'],
  timeoutMs: timeout === undefined ? undefined : timeout * 1000,
  keepKey: values['keep-key'],
  log: values.json ? undefined : (line) => process.stdout.write(`${line}\n`),
});
if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else process.stdout.write(report.ok ? 'smoke test passed\n' : 'smoke test FAILED\n');
process.exitCode = report.ok ? 0 : 1;

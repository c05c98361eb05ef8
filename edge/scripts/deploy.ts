/**
 * `npm run deploy:edge [-- <wrangler deploy options>]`: checks the production model catalog in
 * wrangler.toml (for `--env <name>` when given), then runs `wrangler deploy` with the same options.
 *
 * A production edge must list the models its GPU workers serve (MODELS_JSON) and name one of them
 * as DEFAULT_MODEL. Otherwise a request without `model` queues for the built-in demo model, whose
 * weights the GPU image may not have: no worker ever takes it (GET /worker/v1/queue leaves such a
 * queue out of the scaling metric, and the job ends `no_capacity` at the queue timeout), but the
 * customer's request still fails. Refusing the deploy says so before any customer sees it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { unstable_readConfig } from 'wrangler';
import { ConfigError, parseConfig } from '../src/env';
import { REPO_ROOT, WRANGLER_TOML } from './paths';

/** Secrets live outside wrangler.toml; placeholders let the rest of the config be checked. */
const SECRET_PLACEHOLDERS = {
  UPSTASH_REDIS_REST_URL: 'https://redis.placeholder.invalid',
  UPSTASH_REDIS_REST_TOKEN: 'placeholder',
  ADMIN_TOKEN: 'placeholder-placeholder',
  WORKER_TOKEN: 'placeholder-placeholder',
  URL_SIGNING_SECRET: 'placeholder-placeholder',
};

/** What is wrong with the catalog (and the rest of the vars) a deploy would ship; [] when fine. */
export function catalogProblems(vars: Record<string, unknown>): string[] {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig({ ...SECRET_PLACEHOLDERS, ...vars });
  } catch (error) {
    if (error instanceof ConfigError) return [error.message];
    throw error;
  }
  if (config.mode !== 'production') return [];
  // parseConfig has validated MODELS_JSON; here only which names it lists matters.
  const listed = (JSON.parse(String(vars.MODELS_JSON ?? '[]')) as { name: string }[]).map((m) => m.name);
  if (listed.length === 0) {
    return [
      'MODELS_JSON is empty: a production edge lists the models its GPU workers serve (shared/src/models.ts ModelInfo)',
    ];
  }
  if (!listed.includes(config.defaultModel)) {
    return [
      `DEFAULT_MODEL ${config.defaultModel} is not in MODELS_JSON (${listed.join(', ')}): ` +
        'requests without `model` would queue for a model no worker serves',
    ];
  }
  return [];
}

/** The vars `wrangler deploy` would ship: wrangler.toml's, or those of `--env <name>`. */
export function deployVars(args: string[]): Record<string, unknown> {
  const at = args.findIndex((arg) => arg === '--env' || arg === '-e');
  const env = at >= 0 ? args[at + 1] : args.find((arg) => arg.startsWith('--env='))?.slice('--env='.length);
  return unstable_readConfig({ config: WRANGLER_TOML, env }, { hideWarnings: true }).vars;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const problems = catalogProblems(deployVars(args));
  if (problems.length > 0) {
    console.error(`deploy refused (wrangler.toml [vars]):\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  const wrangler = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));
  const result = spawnSync(process.execPath, [wrangler, 'deploy', ...args], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}

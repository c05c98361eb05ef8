/**
 * `npm run r2:lifecycle [-- --dry-run]`: puts the stored-image retention on the R2 bucket as
 * lifecycle rules, so Cloudflare deletes `outputs/` and `inputs/` objects by itself once no job can
 * show them any more (edge/src/storage/object-retention-period.ts says how long that is). The
 * bucket and the retention come from wrangler.toml (`[[r2_buckets]]` OUTPUTS, `[vars]`
 * JOB_RETENTION_SECONDS / OBJECT_RETENTION_SECONDS), so the rule follows the deployed settings.
 * `--dry-run` prints the wrangler commands instead of running them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { objectRetentionDays, objectRetentionFor } from '../../edge/src/storage/object-retention-period';

const WRANGLER_TOML = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

/** The retention settings that decide the rule, read from wrangler.toml. */
export function lifecycleSettings(toml: string): { bucket: string; days: number } {
  const bucket = /\[\[r2_buckets\]\][^[]*?binding\s*=\s*"OUTPUTS"[^[]*?bucket_name\s*=\s*"([^"]+)"/s.exec(
    toml,
  )?.[1];
  if (!bucket) throw new Error('wrangler.toml has no [[r2_buckets]] entry with binding "OUTPUTS"');
  const jobRetention = Number(/^JOB_RETENTION_SECONDS\s*=\s*"(\d+)"/m.exec(toml)?.[1] ?? 7 * 24 * 3600);
  const explicit = Number(/^OBJECT_RETENTION_SECONDS\s*=\s*"(\d+)"/m.exec(toml)?.[1] ?? 0);
  return { bucket, days: objectRetentionDays(explicit || objectRetentionFor(jobRetention)) };
}

/**
 * One rule per prefix. Run once per bucket; to change the retention, remove the two rules first
 * (`wrangler r2 bucket lifecycle list|remove`): what `add` does with an existing name was not
 * tried here (no Cloudflare account on this machine).
 */
export function lifecycleCommands(toml: string): string[][] {
  const { bucket, days } = lifecycleSettings(toml);
  return ['outputs', 'inputs'].map((prefix) => [
    'wrangler',
    'r2',
    'bucket',
    'lifecycle',
    'add',
    bucket,
    `ldm-${prefix}-retention`,
    `${prefix}/`,
    '--expire-days',
    String(days),
    '--force',
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dryRun = process.argv.includes('--dry-run');
  for (const command of lifecycleCommands(readFileSync(WRANGLER_TOML, 'utf8'))) {
    console.log(`${dryRun ? '(dry run) ' : ''}npx ${command.join(' ')}`);
    if (dryRun) continue;
    const run = spawnSync('npx', command, { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lifecycleCommands, lifecycleSettings } from './r2-lifecycle';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run r2:lifecycle', () => {
  it('--dry-run prints the wrangler commands for the deployed retention and runs nothing', () => {
    const out = execFileSync('npm', ['run', '--silent', 'r2:lifecycle', '--', '--dry-run'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    // wrangler.toml: bucket ldm-outputs, JOB_RETENTION_SECONDS 7 days -> 2 x 7 + 1 = 15 days.
    expect(out.trim().split('\n')).toEqual([
      '(dry run) npx wrangler r2 bucket lifecycle add ldm-outputs ldm-outputs-retention outputs/ --expire-days 15 --force',
      '(dry run) npx wrangler r2 bucket lifecycle add ldm-outputs ldm-inputs-retention inputs/ --expire-days 15 --force',
    ]);
  });

  it('follows the settings: the job retention, or an explicit object retention rounded up to days', () => {
    const toml = (vars: string) =>
      `[[r2_buckets]]\nbinding = "OUTPUTS"\nbucket_name = "my-bucket"\n\n[vars]\n${vars}\n`;
    expect(lifecycleSettings(toml('JOB_RETENTION_SECONDS = "86400"'))).toEqual({
      bucket: 'my-bucket',
      days: 3,
    });
    expect(
      lifecycleSettings(toml('JOB_RETENTION_SECONDS = "86400"\nOBJECT_RETENTION_SECONDS = "90000"')),
    ).toEqual({ bucket: 'my-bucket', days: 2 });
    expect(lifecycleCommands(toml('JOB_RETENTION_SECONDS = "604800"'))[0]).toContain('my-bucket');
    expect(() => lifecycleSettings('[vars]\n')).toThrow(/OUTPUTS/);
  });
});

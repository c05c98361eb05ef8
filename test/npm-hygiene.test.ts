import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

async function npm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('npm', args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
}

/**
 * The README's `npm install && npm start` print no npm warning on a fresh machine: no unknown
 * project config (npm 11 warns for `.npmrc` keys it does not know, and its next major drops them)
 * and no install script left out of package.json's `allowScripts` (npm 11's install-script policy).
 */
describe('npm hygiene', () => {
  it('npm config list warns about nothing', async () => {
    const { stderr } = await npm('config', 'list');
    expect(stderr).toBe('');
  });

  it('npm install (dry run) warns about nothing: every install script is reviewed in allowScripts', async () => {
    const { stderr } = await npm('install', '--dry-run', '--no-audit', '--no-fund');
    expect(stderr).toBe('');
    const { stdout } = await npm('install-scripts', 'ls');
    expect(stdout).toContain('No packages with unreviewed install scripts');
  });

  it("denies onnxruntime-node's install script: its CUDA download runs only in the GPU image", () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    // Nothing here needs an install script: the native packages ship prebuilt binaries.
    expect(Object.values(pkg.allowScripts).every((allowed) => allowed === false)).toBe(true);
  });
});

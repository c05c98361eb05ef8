import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, 'check-gpu.ts');

/** The check's command line, run as `npm run check:gpu` runs it (no model is loaded on bad usage). */
function checkGpu(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('npm run check:gpu usage', () => {
  it.each([
    [['--steps', '0'], '--steps must be an integer >= 1'],
    [['--runs', '1.5'], '--runs must be an integer >= 1'],
    [['--device-id=-1'], '--device-id must be an integer >= 0'],
    [['--threshold', 'abc'], '--threshold must be a number'],
    [['--device-id', '-1'], 'ambiguous'],
  ])('%j exits 2 with the reason and the usage', (args, reason) => {
    const run = checkGpu(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(reason);
    expect(run.stderr).toContain('Usage: npm run check:gpu');
  });
});

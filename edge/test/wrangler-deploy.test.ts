import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEdgeBundle } from '../scripts/build';
import { REPO_ROOT } from '../scripts/paths';

describe('wrangler', () => {
  it('`wrangler deploy --dry-run` bundles the edge with every binding it declares', () => {
    const out = mkdtempSync(join(tmpdir(), 'ldm-dry-run-'));
    try {
      const bundle = buildEdgeBundle(out);
      const text = readFileSync(bundle, 'utf8');
      expect(text).toMatch(/export\s*\{[^}]*QueueWaker/);
      // Every Lua script travels as a text module next to the bundle.
      const lua = readdirSync(out).filter((f) => f.endsWith('.lua'));
      expect(lua.some((f) => f.endsWith('submit-generation.lua'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('edge/worker-configuration.d.ts is what `wrangler types` generates from wrangler.toml', () => {
    const result = spawnSync('npm', ['run', '-s', 'types:check', '-w', 'edge'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(existsSync(join(REPO_ROOT, 'edge/worker-configuration.d.ts'))).toBe(true);
  });
});

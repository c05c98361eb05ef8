import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEdgeBundle } from '../scripts/build';
import { REPO_ROOT } from '../scripts/paths';
import { SCRIPTS } from '../src/lua/scripts.generated';

describe('wrangler', () => {
  it('`wrangler deploy --dry-run` bundles the edge with every binding it declares', () => {
    const out = mkdtempSync(join(tmpdir(), 'ldm-dry-run-'));
    try {
      const bundle = buildEdgeBundle(out);
      const text = readFileSync(bundle, 'utf8');
      expect(text).toMatch(/export\s*\{[^}]*QueueWaker/);
      // Every Lua script travels inside the bundle as a string (edge/src/lua/scripts.generated.ts).
      expect(text).toContain(SCRIPTS['submit-generation'].sha1);
      expect(readdirSync(out).filter((f) => f.endsWith('.lua'))).toEqual([]);
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

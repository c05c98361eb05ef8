import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
/** The workspaces (package.json "workspaces") and tools/demo-model, longest first for matching. */
const PACKAGES = ['tools/demo-model', 'gpu-worker', 'shared', 'edge', 'infra', 'sdk', 'test'];

function packageOf(path: string): string | undefined {
  const rel = relative(ROOT, path).split(sep).join('/');
  return PACKAGES.find((p) => rel === p || rel.startsWith(`${p}/`));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * A package reaches another only through that package's `exports` (`@ldm/gpu-worker/daemon/...`,
 * `@ldm/test/support/...`), never by a relative path into its folders: the exports say what is
 * meant to be used from outside, and a file can move inside its package without breaking others.
 */
describe('imports between packages go through package exports', () => {
  it('no file imports another package by a relative path', () => {
    const crossings: string[] = [];
    for (const pkg of PACKAGES) {
      for (const file of sourceFiles(join(ROOT, pkg))) {
        const own = packageOf(file);
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:from\s+|import\()'(\.{1,2}\/[^']+)'/g)) {
          const target = packageOf(resolve(dirname(file), m[1]));
          if (target && target !== own) crossings.push(`${relative(ROOT, file)}: '${m[1]}' (into ${target})`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });

  it('finds a crossing when there is one', () => {
    const file = join(ROOT, 'edge', 'test', 'x.test.ts');
    expect(packageOf(resolve(dirname(file), '../../test/support/edge-stack'))).toBe('test');
    expect(packageOf(resolve(dirname(file), '../src/app'))).toBe('edge');
  });
});

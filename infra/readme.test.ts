import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';

// The operator guide names files, scripts and settings; each must exist as named.
const ROOT = resolve(import.meta.dirname, '..');
const DOCS = ['infra/README.md', 'README.md'];
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const rootScripts = Object.keys(
  (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
);
const TOP = /^(edge|gpu-worker|shared|infra|sdk|test|tools|models|docs|local|k8s|gpu|cloudflare)\//;

/** Backticked tokens that look like repository paths (`infra/k8s/x.yaml`, `local/cron-timer.ts`). */
function pathsIn(text: string): string[] {
  return [...text.matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1].replace(/[),.;:]+$/, '').replace(/:\d+$/, ''))
    .filter((p) => TOP.test(p) && !p.includes('...') && !p.includes('{') && !p.includes('*'));
}

describe('operator docs name what exists', () => {
  for (const doc of DOCS) {
    it(`${doc}: every repository path it names exists`, () => {
      const text = read(doc);
      const paths = pathsIn(text);
      expect(paths.length).toBeGreaterThan(doc === 'infra/README.md' ? 20 : 0);
      const missing = paths.filter(
        (p) => !existsSync(join(ROOT, p)) && !existsSync(join(ROOT, dirname(doc), p)),
      );
      expect(missing).toEqual([]);
    });

    it(`${doc}: every npm run script it names is a root script`, () => {
      const named = [...read(doc).matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
      expect(named.filter((s) => !rootScripts.includes(s))).toEqual([]);
    });
  }

  it('finds a missing path and a missing script when there is one', () => {
    expect(pathsIn('see `infra/k8s/nothing-here.yaml`, and `edge/src/app.ts`.')).toEqual([
      'infra/k8s/nothing-here.yaml',
      'edge/src/app.ts',
    ]);
    expect(existsSync(join(ROOT, 'infra/k8s/nothing-here.yaml'))).toBe(false);
    expect(rootScripts).not.toContain('types:edge');
  });

  it('the secrets table lists every secret wrangler.toml requires, with how to rotate it', () => {
    const toml = parseToml(read('wrangler.toml')) as { secrets: { required: string[] } };
    const guide = read('infra/README.md');
    const table = guide.slice(guide.indexOf('## 3. Secrets'), guide.indexOf('## 4.'));
    expect(toml.secrets.required).toHaveLength(7);
    for (const name of toml.secrets.required) {
      const row = table.split('\n').find((l) => l.startsWith(`| \`${name}\``));
      expect(row, name).toBeDefined();
      // name | what | set | rotate: four filled cells.
      const cells = (row ?? '').split(/(?<!\\)\|/).slice(1, -1);
      expect(
        cells.map((c) => c.trim().length > 0),
        name,
      ).toEqual([true, true, true, true]);
    }
  });

  it('the guide names the base images, Node version and driver floor the Dockerfile uses', () => {
    const dockerfile = read('infra/gpu/Dockerfile');
    const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];
    const guide = read('infra/README.md');
    expect(guide).toContain(arg('CUDA_IMAGE'));
    expect(guide).toContain(`Node ${arg('NODE_VERSION')}`);
    expect(guide).toContain('>= 525.60.13');
  });
});

/**
 * `npm run build:edge`: bundles the edge with `wrangler deploy --dry-run --outdir dist/edge`, i.e.
 * exactly the bundle `wrangler deploy` would upload (same esbuild settings, rules and
 * polyfills). The local stack and the tests run this file in Miniflare.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EDGE_BUNDLE_DIR, REPO_ROOT } from './paths';

export function buildEdgeBundle(outDir = EDGE_BUNDLE_DIR): string {
  const wrangler = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));
  const result = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outDir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
  });
  const bundle = `${outDir}/index.js`;
  if (result.status !== 0 || !existsSync(bundle)) {
    throw new Error(
      `wrangler deploy --dry-run failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return bundle;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = buildEdgeBundle(process.argv[2] ?? EDGE_BUNDLE_DIR);
  console.log(`edge bundle written to ${bundle}`);
}

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildEdgeBundle } from './build';
import { EDGE_BUNDLE_DIR, EDGE_SOURCE_DIRS, WRANGLER_TOML } from './paths';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const sourcesMtime = () => Math.max(...EDGE_SOURCE_DIRS.map(newestMtime), statSync(WRANGLER_TOML).mtimeMs);

function bundleIsFresh(): boolean {
  const bundle = join(EDGE_BUNDLE_DIR, 'index.js');
  return existsSync(bundle) && statSync(bundle).mtimeMs >= sourcesMtime();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The edge bundle (`dist/edge/index.js`), rebuilt with wrangler when a source is newer. Test
 * files run in parallel processes, so the build is guarded by a lock directory and written to a
 * temporary directory that is renamed into place: a reader never sees half a bundle.
 */
export async function ensureEdgeBundle(): Promise<string> {
  const bundle = join(EDGE_BUNDLE_DIR, 'index.js');
  const lock = `${EDGE_BUNDLE_DIR}.lock`;
  mkdirSync(join(EDGE_BUNDLE_DIR, '..'), { recursive: true });
  const deadline = Date.now() + 120_000;
  while (!bundleIsFresh()) {
    try {
      mkdirSync(lock);
    } catch {
      // Someone else is building; a lock older than two minutes is a crashed build.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error('timed out waiting for another process to build the edge bundle');
      await sleep(200);
      continue;
    }
    try {
      if (bundleIsFresh()) break;
      const staging = `${EDGE_BUNDLE_DIR}.build-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      buildEdgeBundle(staging);
      const old = `${EDGE_BUNDLE_DIR}.old-${process.pid}`;
      if (existsSync(EDGE_BUNDLE_DIR)) renameSync(EDGE_BUNDLE_DIR, old);
      renameSync(staging, EDGE_BUNDLE_DIR);
      rmSync(old, { recursive: true, force: true });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return bundle;
}

import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run build:edge` writes the Worker bundle (index.js + source map). */
export const EDGE_BUNDLE_DIR = fileURLToPath(new URL('../../dist/edge', import.meta.url));
export const EDGE_SOURCE_DIRS = [
  fileURLToPath(new URL('../src', import.meta.url)),
  fileURLToPath(new URL('../../shared/src', import.meta.url)),
  // Bundled as is (GET /openapi.json); regenerated after the schemas it comes from.
  fileURLToPath(new URL('../../shared/openapi.json', import.meta.url)),
];
export const WRANGLER_TOML = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

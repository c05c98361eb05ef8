/**
 * Writes shared/openapi.json from the zod schemas and the route table. With `--check` it
 * writes nothing and exits 1 when the committed document differs (the stale-document test).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../src/openapi';

const target = fileURLToPath(new URL('../openapi.json', import.meta.url));
const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('shared/openapi.json is stale: run `npm run generate:openapi` and commit it.');
    process.exit(1);
  }
  console.log('shared/openapi.json is up to date.');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}

/**
 * Rewrites the `sha1: '...'` pins of the billing scripts (edge/src/billing/scripts/*.ts declare
 * `{ name: '<file>', lua: ..., sha1: '...' }`, several per wrapper) after a .lua file was edited:
 * `npx tsx edge/scripts/pin-billing-script-hashes.ts`. billing-script-hashes.test.ts fails until then.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../src/billing/scripts/', import.meta.url));
const sha1Of = (name: string) =>
  createHash('sha1')
    .update(readFileSync(`${dir}${name}.lua`, 'utf8'), 'utf8')
    .digest('hex');

for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
  const text = readFileSync(`${dir}${file}`, 'utf8');
  const pinned = text.replace(
    /name: '([\w-]+)',(\s*)lua: (\w+),(\s*)sha1: '[^']*'/g,
    (_all, name: string, gap1: string, lua: string, gap2: string) =>
      `name: '${name}',${gap1}lua: ${lua},${gap2}sha1: '${sha1Of(name)}'`,
  );
  if (pinned !== text) {
    writeFileSync(`${dir}${file}`, pinned);
    console.log(`${file}: pinned`);
  }
}

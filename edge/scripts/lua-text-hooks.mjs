// Node module hooks that load `*.lua` as a default-exported string, as wrangler's Text rule and
// the vitest plugin do, so TypeScript that imports Lua scripts also runs under plain tsx.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.lua')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}

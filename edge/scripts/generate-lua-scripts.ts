/**
 * `npm run generate:lua`: compiles the edge's Redis Lua scripts into one TypeScript module of texts
 * and SHA-1s (edge/src/lua/scripts.generated.ts), so every runtime loads them as plain strings:
 * workerd and wrangler's bundle, vitest, tsx-run benches and tools (Node cannot import `.lua`
 * without a loader flag). With `--check` it writes nothing and exits 1 when a generated file is
 * stale (`npm run check:generated`).
 *
 * - A script is every `*.lua` file in SCRIPT_DIRS; its name is the file name, unique across them.
 * - A line `--- @include "<name>"` (as BullMQ writes it) is replaced by edge/src/lua/<name>.lua,
 *   itself expanded; each include goes in once per script, however many files ask for it, so
 *   each script stays one EVAL with one pinned hash.
 * - Each script says how Upstash runs it (see edge/src/lua/README.md): its first line is
 *   `#!lua flags=allow-key-locking` (it touches only its KEYS; Upstash then locks just those, and
 *   the local bridge refuses any other key as Upstash does), or it has a line
 *   `-- Upstash: global lock (<why>)` naming the keys it builds from what it reads.
 * - edge/src/lua/keys.lua is generated too, from keys.ts: Lua that builds a key name can never
 *   disagree with TypeScript on the layout.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BILLING_GROUP, keys, QUEUE_GROUP } from '../src/store/keys';

const EDGE_SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** Where scripts live, each next to the TypeScript that runs it. */
export const SCRIPT_DIRS = ['store/scripts', 'billing/scripts', 'webhooks/scripts'];
/** Shared Lua, pulled in by `--- @include "<name>"`. */
export const INCLUDE_DIR = `${EDGE_SRC}lua/`;
const GENERATED_TS = `${INCLUDE_DIR}scripts.generated.ts`;
const GENERATED_KEYS = `${INCLUDE_DIR}keys.lua`;

const KEY_LOCKING = /^#!lua flags=\S*\ballow-key-locking\b/;
const GLOBAL_LOCK = /^-- Upstash: global lock \(.+\)\.?$/m;

/** Refuses a script that does not say how Upstash locks it. */
export function checkLocking(source: string, text: string): 'keys' | 'global' {
  if (KEY_LOCKING.test(text)) return 'keys';
  if (GLOBAL_LOCK.test(text)) return 'global';
  throw new Error(
    `${source}: say how Upstash runs it: first line \`#!lua flags=allow-key-locking\` (every key in KEYS) ` +
      'or a line `-- Upstash: global lock (<the keys it builds>).`',
  );
}

const INCLUDE_LINE = /^--- @include "([\w-]+)"[ \t]*$/gm;

export interface CompiledScript {
  name: string;
  /** Path under edge/src, for messages and the generated module's comments. */
  source: string;
  lua: string;
  sha1: string;
}

/**
 * Replaces every include line of `text` by its file, recursively. `seen` holds the includes this
 * script already has: a second request for one becomes nothing (so a script may include both
 * "prelude" and "keys" although the prelude includes "keys" itself).
 */
export function expandIncludes(
  text: string,
  from: string,
  seen = new Set<string>(),
  chain: string[] = [],
): string {
  return text.replace(INCLUDE_LINE, (_line, name: string) => {
    if (chain.includes(name)) throw new Error(`${from}: include cycle ${[...chain, name].join(' -> ')}`);
    if (seen.has(name)) return '';
    seen.add(name);
    const body = readInclude(name, from).replace(/\n$/, '');
    return expandIncludes(body, `lua/${name}.lua`, seen, [...chain, name]);
  });
}

/** keys.lua is read as generated now, not as committed, so a stale copy never reaches a script. */
function readInclude(name: string, from: string): string {
  if (name === 'keys') return renderKeysLua();
  const file = `${INCLUDE_DIR}${name}.lua`;
  if (!existsSync(file)) throw new Error(`${from}: --- @include "${name}": no file lua/${name}.lua`);
  return readFileSync(file, 'utf8');
}

export function compileScripts(): CompiledScript[] {
  const scripts: CompiledScript[] = [];
  for (const dir of SCRIPT_DIRS) {
    for (const file of readdirSync(`${EDGE_SRC}${dir}`).sort()) {
      if (!file.endsWith('.lua')) continue;
      const source = `${dir}/${file}`;
      const text = readFileSync(`${EDGE_SRC}${source}`, 'utf8');
      checkLocking(source, text);
      const lua = expandIncludes(text, source);
      const name = file.slice(0, -'.lua'.length);
      const clash = scripts.find((s) => s.name === name);
      if (clash) throw new Error(`two scripts named ${name}: ${clash.source} and ${source}`);
      scripts.push({ name, source, lua, sha1: createHash('sha1').update(lua, 'utf8').digest('hex') });
    }
  }
  return scripts.sort((a, b) => a.name.localeCompare(b.name));
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function luaString(text: string): string {
  if (/['\\\n]/.test(text)) throw new Error(`key template ${text} needs escaping`);
  return `'${text}'`;
}

/** One Lua function per key of keys.ts: `job_key(id)` -> 'job:' .. id, and so on. */
export function renderKeysLua(): string {
  const lines = [
    '-- Generated by `npm run generate:lua` from edge/src/store/keys.ts. Do not edit.',
    '-- One function per key name of the layout: what a script builds matches what TypeScript builds.',
  ];
  for (const [name, build] of Object.entries(keys) as [string, (...ids: string[]) => string][]) {
    const params = Array.from({ length: build.length }, (_, i) => (build.length === 1 ? 'id' : `id${i + 1}`));
    // Private-use characters mark where each id goes; no key template contains one.
    const markers = params.map((_, i) => String.fromCharCode(0xe000 + i));
    const pieces = build(...markers).split(/([\ue000-\ue009])/);
    const expr = pieces
      .map((piece, i) => (i % 2 === 1 ? params[markers.indexOf(piece)] : piece && luaString(piece)))
      .filter((piece) => piece !== '')
      .join(' .. ');
    lines.push(`local function ${snakeCase(name)}_key(${params.join(', ')}) return ${expr} end`);
  }
  lines.push(
    `local QUEUE_GROUP = ${luaString(QUEUE_GROUP)}`,
    `local BILLING_GROUP = ${luaString(BILLING_GROUP)}`,
  );
  return `${lines.join('\n')}\n`;
}

export function renderScriptsModule(scripts: CompiledScript[]): string {
  const entries = scripts.map(
    (s) =>
      `  // ${s.source}\n  ${JSON.stringify(s.name)}: {\n    name: ${JSON.stringify(s.name)},\n` +
      `    sha1: ${JSON.stringify(s.sha1)},\n    lua: ${JSON.stringify(s.lua)},\n  },`,
  );
  return [
    '// Generated by `npm run generate:lua` (edge/scripts/generate-lua-scripts.ts) from the .lua files',
    '// under edge/src/{store,billing,webhooks}/scripts, includes expanded. Do not edit: edit the .lua',
    '// file and regenerate; `npm run check:generated` fails while this file is stale.',
    "import type { LuaScript } from '../store/scripts/run-script';",
    '',
    `export type ScriptName = ${scripts.map((s) => JSON.stringify(s.name)).join(' | ')};`,
    '',
    'export const SCRIPTS: Readonly<Record<ScriptName, LuaScript>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

/** The generated files as they should be now: path -> text. */
export function generatedFiles(): Map<string, string> {
  return new Map([
    [GENERATED_KEYS, renderKeysLua()],
    [GENERATED_TS, renderScriptsModule(compileScripts())],
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, text] of generatedFiles()) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (current === text) continue;
    if (check) {
      console.error(`${path} is stale: run \`npm run generate:lua\` and commit it.`);
      stale++;
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
  if (stale > 0) process.exit(1);
  if (check) console.log('the generated Lua scripts are up to date.');
}

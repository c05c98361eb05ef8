import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkLocking,
  compileScripts,
  expandIncludes,
  renderKeysLua,
} from '../../scripts/generate-lua-scripts';
import { keys } from '../store/keys';
import { type ScriptRedisFixture, startScriptRedis } from '../store/scripts/test-support/script-redis';
import { SCRIPTS } from './scripts.generated';

// EVALSHA runs whatever Redis cached under the hash: a hash that drifted from the text would run
// nothing (NOSCRIPT, then EVAL every time) or, worse, an older script. The one registry of every
// Redis script (scripts.generated.ts) is checked here against the .lua files it is built from.
const registry = Object.values(SCRIPTS);

describe('the Lua script registry', () => {
  it.each(registry.map((s) => [s.name, s] as const))('%s is pinned to the SHA-1 of its text', (_, script) => {
    expect(script.sha1).toBe(createHash('sha1').update(script.lua, 'utf8').digest('hex'));
  });

  it('is what the .lua files compile to now (run `npm run generate:lua` after editing one)', () => {
    const compiled = compileScripts();
    expect(registry.map((s) => s.name).sort()).toEqual(compiled.map((s) => s.name));
    for (const script of compiled) {
      expect(SCRIPTS[script.name as keyof typeof SCRIPTS], script.source).toEqual({
        name: script.name,
        sha1: script.sha1,
        lua: script.lua,
      });
    }
    expect(readFileSync(new URL('./keys.lua', import.meta.url), 'utf8')).toBe(renderKeysLua());
  });

  it('holds 30 scripts, each with every include expanded', () => {
    expect(registry.length).toBe(30);
    for (const script of registry) expect(script.lua, script.name).not.toMatch(/@include/);
    // Includes reach the scripts that ask for them (directly or through the prelude).
    expect(SCRIPTS['lease-jobs'].lua).toContain('local function webhook_event(');
    expect(SCRIPTS['submit-generation'].lua).toContain('local function webhook_event(');
    expect(SCRIPTS['claim-webhooks'].lua).toContain('local function webhook_delivery_key(');
  });

  it('puts an include in once, however many files ask for it', () => {
    const text = expandIncludes('--- @include "prelude"\n--- @include "keys"\nreturn 1', 'test');
    expect(text.split('local function job_key(').length).toBe(2);
    expect(text.split('local function webhook_event(').length).toBe(2);
  });

  it('refuses a script that does not say how Upstash locks it', () => {
    expect(() => checkLocking('x.lua', "return redis.call('GET', KEYS[1])")).toThrow(
      /x\.lua: say how Upstash runs it/,
    );
    expect(checkLocking('x.lua', '#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe('keys');
    expect(checkLocking('x.lua', '-- Upstash: global lock (reads a key it builds).\nreturn 1')).toBe(
      'global',
    );
    const flagged = registry
      .filter((s) => s.lua.startsWith('#!lua flags=allow-key-locking\n'))
      .map((s) => s.name);
    expect(flagged.sort()).toEqual([
      'ack-usage-events',
      'begin-flush',
      'count-auth-failure',
      'create-api-key',
      'end-flush',
      'hold-usage-events',
      'record-model-export',
      'record-webhook-attempt',
      'replay-held-usage',
      'rotate-webhook-secret',
      'update-account',
    ]);
  });

  it('names the file and the include it cannot find', () => {
    expect(() => expandIncludes('--- @include "no-such-include"\n', 'x.lua')).toThrow(
      /x\.lua: --- @include "no-such-include": no file lua\/no-such-include\.lua/,
    );
  });
});

describe('keys.lua', () => {
  let fx: ScriptRedisFixture;
  beforeAll(async () => {
    fx = await startScriptRedis();
  });
  afterAll(() => fx?.stop());

  it('builds every key name exactly as keys.ts does, run in Redis', async () => {
    const entries = Object.entries(keys) as [string, (...ids: string[]) => string][];
    const calls = entries.map(([name, build]) => {
      const ids = ['a1', 'b2'].slice(0, build.length);
      const lua = `${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_key(${ids.map((id) => `'${id}'`).join(', ')})`;
      return { lua, expected: build(...ids) };
    });
    const body = `${renderKeysLua()}\nreturn { ${calls.map((c) => c.lua).join(', ')} }`;
    expect(await fx.redis.eval(body, [], [])).toEqual(calls.map((c) => c.expected));
  });
});

// The bridge refuses undeclared keys in flagged scripts as Upstash does, so the script tests that
// run the flagged scripts through it show they declare every key. It would catch a wrong flag:
describe('a script that builds key names', () => {
  let fx: ScriptRedisFixture;
  beforeAll(async () => {
    fx = await startScriptRedis();
  });
  afterAll(() => fx?.stop());

  it('fails when flagged allow-key-locking (auth-lookup reads the account its key record names)', async () => {
    await fx.redis.hset('apikey:h1', { account_id: 'acct_1', key_id: 'k1', mode: 'live' });
    await fx.redis.hset('acct:acct_1', { plan: 'pro' });
    const lookup = SCRIPTS['auth-lookup'].lua;
    expect(JSON.parse((await fx.redis.eval(lookup, ['apikey:h1'], ['acct:'])) as string).plan).toBe('pro');
    await expect(
      fx.redis.eval(`#!lua flags=allow-key-locking\n${lookup}`, ['apikey:h1'], ['acct:']),
    ).rejects.toThrow(/Dynamic keys are not allowed .* Key was: acct:acct_1/);
  });
});

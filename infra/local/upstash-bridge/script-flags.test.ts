import { describe, expect, it } from 'vitest';
import { ScriptRegistry, sha1Hex, stripUpstashOnlyFlags } from './script-flags';

describe('stripUpstashOnlyFlags', () => {
  it.each([
    ['#!lua flags=allow-key-locking\nreturn 1', '#!lua\nreturn 1'],
    ['#!lua flags=no-writes,allow-key-locking\nreturn 1', '#!lua flags=no-writes\nreturn 1'],
    ['#!lua flags=allow-key-locking,no-writes\r\nreturn 1', '#!lua flags=no-writes\r\nreturn 1'],
    ['#!lua flags=allow-key-locking', '#!lua'],
  ])('rewrites %j', (script, rewritten) => {
    expect(stripUpstashOnlyFlags(script)).toBe(rewritten);
  });

  it.each([
    'return 1',
    '#!lua\nreturn 1',
    '#!lua flags=no-writes\nreturn 1',
    'return "#!lua flags=allow-key-locking"',
    '-- flags=allow-key-locking\nreturn 1',
  ])('leaves %j alone', (script) => {
    expect(stripUpstashOnlyFlags(script)).toBeNull();
  });
});

describe('ScriptRegistry', () => {
  it('maps the hash of the original script to the hash Redis will know', () => {
    const registry = new ScriptRegistry({ checkDeclaredKeys: false });
    const original = '#!lua flags=allow-key-locking\nreturn 1';
    expect(registry.resolve(sha1Hex(original))).toBe(sha1Hex(original));
    const prepared = registry.prepare(original);
    expect(prepared).toEqual({ script: '#!lua\nreturn 1', originalSha: sha1Hex(original) });
    expect(registry.resolve(sha1Hex(original))).toBe(sha1Hex('#!lua\nreturn 1'));
    expect(registry.resolve(sha1Hex(original).toUpperCase())).toBe(sha1Hex('#!lua\nreturn 1'));
  });

  it('keeps scripts without Upstash-only flags byte-identical and unrecorded', () => {
    const registry = new ScriptRegistry({ checkDeclaredKeys: false });
    expect(registry.prepare('return 2')).toEqual({ script: 'return 2', originalSha: null });
    expect(registry.resolve(sha1Hex('return 2'))).toBe(sha1Hex('return 2'));
  });
});

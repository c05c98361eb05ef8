import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WORKER_SCRIPTS } from './all-scripts';

// EVALSHA runs whatever Redis cached under the hash: a pinned hash that drifted from the text
// would run nothing (NOSCRIPT, then EVAL every time) or, worse, an older script. Pinning by hash
// also lets a reviewer see in a diff that a script changed.
describe('worker script hashes', () => {
  it.each(WORKER_SCRIPTS.map((s) => [s.name, s] as const))(
    '%s is pinned to the SHA-1 of its text',
    (_, script) => {
      expect(script.sha1).toBe(createHash('sha1').update(script.lua, 'utf8').digest('hex'));
    },
  );

  it('names are unique', () => {
    expect(new Set(WORKER_SCRIPTS.map((s) => s.name)).size).toBe(WORKER_SCRIPTS.length);
  });
});

/// <reference types="node" />
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BILLING_SCRIPTS } from './billing-scripts';

// A pin that drifted from the .lua text would make EVALSHA miss (or run an older script).
// After editing a .lua file: `npx tsx edge/scripts/pin-billing-script-hashes.ts`.
describe('billing script hashes', () => {
  it.each(BILLING_SCRIPTS.map((s) => [s.name, s] as const))(
    '%s is pinned to the SHA-1 of its .lua file',
    (name, script) => {
      const text = readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
      expect(script.lua).toBe(text);
      expect(script.sha1).toBe(createHash('sha1').update(text, 'utf8').digest('hex'));
    },
  );
});

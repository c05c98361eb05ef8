import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_SCRIPTS } from './all-webhook-scripts';

describe('webhook script hashes', () => {
  it.each(WEBHOOK_SCRIPTS.map((s) => [s.name, s] as const))(
    '%s is pinned to the SHA-1 of its text',
    (_, script) => {
      expect(script.sha1).toBe(createHash('sha1').update(script.lua, 'utf8').digest('hex'));
    },
  );
});

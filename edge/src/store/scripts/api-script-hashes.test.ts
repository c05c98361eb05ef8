/// <reference types="node" />
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withWebhookEvents } from '../../webhooks/webhook-events-lua';
import { API_SCRIPTS } from './api-scripts';

// A pin that drifted from the .lua text would make EVALSHA miss (or run an older script).
// After editing a .lua file: `npx tsx edge/scripts/pin-script-hashes.ts`.
describe('API script hashes', () => {
  it.each(API_SCRIPTS.map((s) => [s.name, s] as const))(
    '%s is pinned to the SHA-1 of its .lua file',
    (name, script) => {
      const text = readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
      // Scripts that record webhook events run with the shared snippet in front of their file.
      expect(script.lua === text || script.lua === withWebhookEvents(text)).toBe(true);
      expect(script.sha1).toBe(createHash('sha1').update(script.lua, 'utf8').digest('hex'));
    },
  );
});

/**
 * Rewrites the `sha1: '...'` pin of each `edge/src/store/scripts/<name>.ts` wrapper whose Lua lives
 * in `<name>.lua`, after the Lua was edited: `npx tsx edge/scripts/pin-script-hashes.ts`.
 * The pin test (api-script-hashes.test.ts) fails until this is run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withWebhookEvents } from '../src/webhooks/webhook-events-lua';

const dir = fileURLToPath(new URL('../src/store/scripts/', import.meta.url));
for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
  const wrapper = `${dir}${file.replace(/\.lua$/, '.ts')}`;
  if (!existsSync(wrapper)) continue;
  const text = readFileSync(wrapper, 'utf8');
  // A wrapper may run its file behind the webhook-event snippet; the pin covers what is sent.
  const raw = readFileSync(`${dir}${file}`, 'utf8');
  const lua = text.includes('withWebhookEvents(lua)') ? withWebhookEvents(raw) : raw;
  const sha1 = createHash('sha1').update(lua, 'utf8').digest('hex');
  const pinned = text.replace(/sha1: '[^']*'/, `sha1: '${sha1}'`);
  if (pinned !== text) {
    writeFileSync(wrapper, pinned);
    console.log(`${file}: ${sha1}`);
  }
}

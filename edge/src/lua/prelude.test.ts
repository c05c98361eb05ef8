import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandIncludes } from '../../scripts/generate-lua-scripts';
import { SCRIPT_CONTEXT } from '../store/scripts/script-context';
import { type ScriptRedisFixture, startScriptRedis } from '../store/scripts/test-support/script-redis';

// The prelude's helpers, run in Redis's own Lua (no os.date there, so the calendar is hand-made).
let fx: ScriptRedisFixture;

beforeAll(async () => {
  fx = await startScriptRedis();
});
afterAll(() => fx?.stop());

// A body behind the prelude, expanded as the generator expands every script that includes it.
const withPrelude = (body: string) => expandIncludes(`--- @include "prelude"\n${body}`, 'prelude.test.ts');
const run = (body: string, args: string[]) => fx.redis.eval(withPrelude(body), [], [SCRIPT_CONTEXT, ...args]);

describe('lua prelude', () => {
  it('utc_day gives the UTC calendar day of a Unix ms time, leap days and year ends included', async () => {
    const instants = [
      0,
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12),
      Date.UTC(2000, 2, 1),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 10, 26, 10, 41),
      Date.UTC(2100, 1, 28, 23, 59),
      Date.UTC(2100, 2, 1),
    ];
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 86_400_000 * 7 + 3_600_000)
      instants.push(t);
    const days = (await run(
      `local out = {}
       for i = 2, #ARGV do out[#out + 1] = utc_day(tonumber(ARGV[i])) end
       return out`,
      instants.map(String),
    )) as string[];
    expect(days).toEqual(instants.map((t) => new Date(t).toISOString().slice(0, 10)));
  });

  it('key fills each placeholder of a keys.ts template in order', async () => {
    const usage = JSON.parse(SCRIPT_CONTEXT).usage_day as string;
    expect(await run('return key(ARGV[2], ARGV[3], ARGV[4])', [usage, 'acct_1', '2026-11-26'])).toBe(
      'usage:acct_1:2026-11-26',
    );
  });
});

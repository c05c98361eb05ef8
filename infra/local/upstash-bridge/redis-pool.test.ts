import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from '../redis-server';
import { RedisPool } from './redis-pool';
import { parseRedisUrl } from './redis-url';

let server: RedisServerHandle;
let pool: RedisPool;
let probe: RedisPool;

beforeAll(async () => {
  server = await startRedisServer();
  pool = new RedisPool(parseRedisUrl(server.url), 4);
  probe = new RedisPool(parseRedisUrl(server.url), 1);
});
afterAll(async () => {
  pool?.close();
  probe?.close();
  await server?.stop();
});

/** Socket reads Redis has processed so far (INFO stats), asked on the probe's own connection. */
async function readsProcessed(): Promise<number> {
  const [info] = await probe.send([['INFO', 'stats']]);
  const match = /total_reads_processed:(\d+)/.exec(String(info));
  if (!match) throw new Error('INFO stats has no total_reads_processed');
  return Number(match[1]);
}

describe('RedisPool', () => {
  it('sends the commands of one event-loop iteration in one write that Redis reads once', async () => {
    await Promise.all([1, 2, 3, 4].map((i) => pool.send([['PING', `warm ${i}`]]))); // connections up
    const before = await readsProcessed();
    // Eight "requests" issued together, as when several HTTP requests arrive in one iteration.
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        pool.send([
          ['SET', `k${i}`, `v${i}`],
          ['GET', `k${i}`],
        ]),
      ),
    );
    const after = await readsProcessed();
    expect(replies.map(([, get]) => String(get))).toEqual(Array.from({ length: 8 }, (_, i) => `v${i}`));
    // One read for the eight batches, one for the probe's INFO (spread over four connections
    // they would have been four reads at least).
    expect(after - before).toBe(2);
  });

  it('keeps each batch in order and apart when batches share a connection (MULTI/EXEC stays atomic)', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        pool.send([['MULTI'], ['INCR', 'counter'], ['SET', `tx${i}`, String(i)], ['EXEC']]),
      ),
    );
    const counts = results.map((replies) => (replies[3] as unknown[])[0] as number).sort((a, b) => a - b);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';

let stack: RedisWithBridge;
let redis: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  // Stream fields are kept as exact strings: no number or JSON guessing.
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });
});
afterAll(() => stack?.stop());

type Entry = [string, string[]];

describe('streams through the bridge', () => {
  it('XADD, XREADGROUP, XPENDING, XACK and XAUTOCLAIM work as a job queue needs', async () => {
    await redis.xgroup('jobs', { type: 'CREATE', group: 'workers', id: '$', options: { MKSTREAM: true } });
    const ids: string[] = [];
    for (const payload of ['{"prompt":"a cat"}', '00123', 'ünïcödé 🎉']) {
      ids.push(await redis.xadd('jobs', '*', { payload, attempt: '1' }));
    }
    expect(ids.every((id) => /^\d+-\d+$/.test(id))).toBe(true);

    const read = (await redis.xreadgroup('workers', 'w1', 'jobs', '>', { count: 2 })) as [string, Entry[]][];
    expect(read).toEqual([
      [
        'jobs',
        [
          [ids[0], ['payload', '{"prompt":"a cat"}', 'attempt', '1']],
          [ids[1], ['payload', '00123', 'attempt', '1']],
        ],
      ],
    ]);

    const summary = await redis.xpending('jobs', 'workers', '-', '+', 10);
    expect(summary.map((row) => (row as unknown[]).slice(0, 2))).toEqual([
      [ids[0], 'w1'],
      [ids[1], 'w1'],
    ]);

    expect(await redis.xack('jobs', 'workers', ids[0])).toBe(1);
    expect(await redis.xack('jobs', 'workers', ids[0])).toBe(0);

    // A second worker takes over what w1 holds (min idle 0 ms: everything pending).
    const claimed = (await redis.xautoclaim('jobs', 'workers', 'w2', 0, '0-0')) as [
      string,
      Entry[],
      string[],
    ];
    expect(claimed).toEqual(['0-0', [[ids[1], ['payload', '00123', 'attempt', '1']]], []]);
    const pending = await redis.xpending('jobs', 'workers', '-', '+', 10);
    expect(pending.map((row) => (row as unknown[])[1])).toEqual(['w2']);

    const rest = (await redis.xreadgroup('workers', 'w1', 'jobs', '>')) as [string, Entry[]][];
    expect(rest[0][1]).toEqual([[ids[2], ['payload', 'ünïcödé 🎉', 'attempt', '1']]]);
  });

  it('answers blocking reads at once instead of holding a shared connection', async () => {
    await redis.xgroup('idle', { type: 'CREATE', group: 'g', id: '$', options: { MKSTREAM: true } });
    const started = Date.now();
    const [read, popped, ping] = await Promise.all([
      redis.xreadgroup('g', 'c', 'idle', '>', { blockMS: 5_000 }),
      redis.exec(['BLPOP', 'empty-list', '5']),
      redis.ping(),
    ]);
    expect(read).toBeNull();
    expect(popped).toBeNull();
    expect(ping).toBe('PONG');
    expect(Date.now() - started).toBeLessThan(2_000);

    await redis.rpush('full-list', 'x');
    expect(await redis.exec(['BLPOP', 'full-list', '5'])).toEqual(['full-list', 'x']);
  });
});

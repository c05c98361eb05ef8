import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from '../redis-server';
import { RedisConnection } from './redis-connection';
import { parseRedisUrl } from './redis-url';
import { startUpstashBridge } from './server';

describe('parseRedisUrl', () => {
  it('reads host, port, credentials and database', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6390')).toEqual({
      host: '127.0.0.1',
      port: 6390,
      username: undefined,
      password: undefined,
      db: 0,
    });
    expect(parseRedisUrl('redis://us%3Aer:p%40ss@localhost/7')).toEqual({
      host: 'localhost',
      port: 6379,
      username: 'us:er',
      password: 'p@ss',
      db: 7,
    });
  });

  it.each([
    ['rediss://127.0.0.1:6379', /must start with redis:\/\//],
    ['127.0.0.1:6379', /must start with redis:\/\/|not a valid URL/],
    ['redis://127.0.0.1:6379/x', /database must be an integer from 0 to 15/],
    ['redis://127.0.0.1:6379/16', /database must be an integer from 0 to 15/],
  ])('refuses %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});

describe('password and database from the URL', () => {
  let redis: RedisServerHandle;
  const password = 'redis-secret-password';
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: false });
    const admin = new RedisConnection(parseRedisUrl(redis.url));
    await admin.send([['CONFIG', 'SET', 'requirepass', password]]);
    admin.close();
  });
  afterAll(() => redis?.stop());

  it('authenticates every pooled connection and works in the chosen database', async () => {
    const token = 'url-test-token';
    const bridge = await startUpstashBridge({
      redisUrl: `redis://:${password}@127.0.0.1:${redis.port}/3`,
      token,
    });
    try {
      const client = new Redis({ url: bridge.url, token });
      await Promise.all(Array.from({ length: 8 }, (_, i) => client.set(`db3:${i}`, i)));
      expect(await client.get('db3:7')).toBe(7);
      const check = new RedisConnection({ host: '127.0.0.1', port: redis.port, password, db: 0 });
      const [inDb0] = await check.send([['EXISTS', 'db3:7']]);
      const [, inDb3] = await check.send([
        ['SELECT', '3'],
        ['EXISTS', 'db3:7'],
      ]);
      check.close();
      expect([inDb0, inDb3]).toEqual([0, 1]);
    } finally {
      await bridge.close();
    }
  });

  it('a wrong password surfaces as an authentication error, not a hang', async () => {
    const token = 'url-test-token';
    const bridge = await startUpstashBridge({ redisUrl: `redis://:wrong@127.0.0.1:${redis.port}`, token });
    try {
      const client = new Redis({ url: bridge.url, token, enableAutoPipelining: false, retry: false });
      await expect(client.get('k')).rejects.toThrow(
        /NOAUTH|WRONGPASS|invalid password|rejected the connection setup/,
      );
      expect((await fetch(bridge.url + '/healthz')).status).toBe(503);
    } finally {
      await bridge.close();
    }
  });
});

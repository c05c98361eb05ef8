import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';

let stack: RedisWithBridge;
let redis: Redis;
let raw: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token });
  raw = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });
});
afterAll(() => stack?.stop());

describe('collections through the bridge', () => {
  it('hashes keep UTF-8 field names and values', async () => {
    expect(await redis.hset('h', { 'naïve 🎉': 'ünï', count: 1, json: { x: [1, 2] } })).toBe(3);
    expect(await redis.hgetall('h')).toEqual({ 'naïve 🎉': 'ünï', count: 1, json: { x: [1, 2] } });
    expect(await redis.hincrby('h', 'count', 41)).toBe(42);
    expect(await raw.hget('h', 'count')).toBe('42');
    expect(await redis.hmget('h', 'naïve 🎉', 'absent')).toEqual({ 'naïve 🎉': 'ünï', absent: null });
    expect(await redis.hkeys('h')).toEqual(['naïve 🎉', 'count', 'json']);
  });

  it('sets', async () => {
    expect(await redis.sadd('s', 'a', 'b', 'ç', 'b')).toBe(3);
    expect((await raw.smembers('s')).sort()).toEqual(['a', 'b', 'ç']);
    expect(await redis.sismember('s', 'ç')).toBe(1);
    expect(await redis.sismember('s', 'z')).toBe(0);
    expect(await redis.scard('s')).toBe(3);
  });

  it('sorted sets with scores', async () => {
    await redis.zadd('z', { score: 3, member: 'three' }, { score: 1.5, member: 'one and a half' });
    await redis.zadd('z', { score: -2, member: 'négatif' });
    expect(await redis.zrange('z', 0, -1)).toEqual(['négatif', 'one and a half', 'three']);
    expect(await redis.zrange('z', 0, -1, { withScores: true })).toEqual([
      'négatif',
      -2,
      'one and a half',
      1.5,
      'three',
      3,
    ]);
    expect(await redis.zscore('z', 'one and a half')).toBe(1.5);
    expect(await redis.zincrby('z', 10, 'négatif')).toBe(8);
    expect(await redis.zrank('z', 'négatif')).toBe(2);
  });

  it('lists and multi-key reads with holes', async () => {
    expect(await raw.rpush('l', 'x', '', 'z')).toBe(3);
    expect(await raw.lrange('l', 0, -1)).toEqual(['x', '', 'z']);
    await raw.set('m1', 'one');
    expect(await raw.mget('m1', 'nope', 'l2')).toEqual(['one', null, null]);
  });
});

import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';
import { RedisConnection } from './redis-connection';
import { parseRedisUrl } from './redis-url';

let stack: RedisWithBridge;
let redis: Redis;
let raw: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token });
  // No deserialization: what comes back must be exactly the string that went in.
  raw = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });
});
afterAll(() => stack?.stop());

/** Talks to the bridge without the client, to check the wire format itself. */
async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(stack.bridgeUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

describe('strings through the bridge with the real @upstash/redis client', () => {
  const tricky = [
    'plain ascii',
    'héllo wörld — ünïcödé',
    '🎉👩‍👩‍👧 emoji and ZWJ',
    'aGVsbG8=', // looks like base64: must not be decoded twice
    'T0s=', // base64 of "OK"
    'OK',
    '12345',
    '007',
    '1e3',
    '{"a":1,"b":[true,null]}',
    'null',
    'true',
    '',
    'nul\u0000byte',
    '\u0000',
    'line\r\nbreak\ttab',
    '"quoted" \\ backslash',
  ];

  it.each(tricky)('round-trips %j exactly', async (value) => {
    await raw.set('str:' + value, value);
    expect(await raw.get('str:' + value)).toBe(value);
  });

  it('round-trips a 1 MiB value', async () => {
    const big = 'x'.repeat(512 * 1024) + 'é'.repeat(256 * 1024);
    await raw.set('big', big);
    expect(await raw.get('big')).toBe(big);
    expect(await raw.strlen('big')).toBe(Buffer.byteLength(big));
  });

  it('deserializes JSON values like Upstash does when automatic deserialization is on', async () => {
    await redis.set('json', { a: 1, nested: { list: ['x', 2] } });
    expect(await redis.get('json')).toEqual({ a: 1, nested: { list: ['x', 2] } });
    await redis.set('num', 42);
    expect(await redis.get('num')).toBe(42);
    expect(await redis.incr('num')).toBe(43);
  });

  it('returns null for a missing key and integers as numbers', async () => {
    expect(await redis.get('missing')).toBeNull();
    expect(await redis.exists('missing', 'num')).toBe(1);
    expect(await redis.incrby('counter', 9_007_199_254_740_000)).toBe(9_007_199_254_740_000);
  });

  it('returns status replies other than OK encoded, so the client reads them right', async () => {
    expect(await redis.ping()).toBe('PONG');
    await redis.set('typed', 'v');
    expect(await redis.type('typed')).toBe('string');
  });
});

describe('wire format', () => {
  it('base64-encodes every string but a top-level OK when asked to', async () => {
    expect((await post('/', ['SET', 'wire', 'bar'], { 'upstash-encoding': 'base64' })).json).toEqual({
      result: 'OK',
    });
    expect((await post('/', ['GET', 'wire'], { 'upstash-encoding': 'base64' })).json).toEqual({
      result: 'YmFy',
    });
    const nested = await post('/', ['EVAL', "return {'OK', {ok='OK'}, 7, false}", '0'], {
      'upstash-encoding': 'base64',
    });
    expect(nested.json).toEqual({ result: ['T0s=', 'T0s=', 7, null] });
  });

  it('returns plain strings without the header, invalid UTF-8 becoming U+FFFD', async () => {
    expect((await post('/', ['GET', 'wire'])).json).toEqual({ result: 'bar' });
    await post('/', ['EVAL', "redis.call('SET', KEYS[1], string.char(104, 255, 105)) return 1", '1', 'bin']);
    expect((await post('/', ['GET', 'bin'])).json).toEqual({ result: 'h\uFFFDi' });
  });

  it('passes arbitrary bytes through untouched in base64 mode', async () => {
    const bytes = Buffer.from([0, 255, 128, 13, 10, 0xc3, 0x28, 0xf0, 0x9f, 0x8e]);
    // Written straight to Redis, not through JSON, so every byte value is possible.
    const direct = new RedisConnection(parseRedisUrl(stack.redisUrl));
    await direct.send([['SET', 'bytes', bytes]]);
    direct.close();
    const reply = await post('/', ['GET', 'bytes'], { 'upstash-encoding': 'base64' });
    expect(Buffer.from((reply.json as { result: string }).result, 'base64')).toEqual(bytes);
    const viaLua = await post('/', ['EVAL', 'return string.char(0, 255, 128)', '0'], {
      'upstash-encoding': 'base64',
    });
    expect(viaLua.json).toEqual({ result: Buffer.from([0, 255, 128]).toString('base64') });
  });

  it('keeps every digit of 64-bit integers', async () => {
    await post('/', ['SET', 'i64', '9223372036854775806']);
    const res = await fetch(stack.bridgeUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}` },
      body: JSON.stringify(['INCR', 'i64']),
    });
    expect(await res.text()).toBe('{"result":9223372036854775807}');
  });

  it('sends numbers and booleans as their text', async () => {
    await post('/', ['SET', 'n', 1.5]);
    await post('/', ['SET', 'b', true]);
    expect((await post('/', ['MGET', 'n', 'b'])).json).toEqual({ result: ['1.5', 'true'] });
  });
});

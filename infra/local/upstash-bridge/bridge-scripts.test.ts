import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisWithBridge, startRedisWithBridge } from '../test-stack';
import { RedisConnection } from './redis-connection';
import { parseRedisUrl } from './redis-url';
import { RespError } from './resp-value';
import { sha1Hex } from './script-flags';

let stack: RedisWithBridge;
let redis: Redis;

beforeAll(async () => {
  stack = await startRedisWithBridge();
  redis = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });
});
afterAll(() => stack?.stop());

const FLAGGED = "#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])";

describe('EVAL and EVALSHA through the bridge', () => {
  it('returns nested arrays, nil, integers, statuses and UTF-8 strings', async () => {
    const script = "return {1, {2, {'deep', 'é🎉'}}, false, {ok='OK'}, -3, 'T0s='}";
    expect(await redis.eval(script, [], [])).toEqual([1, [2, ['deep', 'é🎉']], null, 'OK', -3, 'T0s=']);
    expect(await redis.eval('return nil', [], [])).toBeNull();
    expect(await redis.eval('return ARGV[1] .. KEYS[1]', ['k€y'], ['ärg'])).toBe('ärgk€y');
  });

  it('throws the Lua error the script raises', async () => {
    await expect(redis.eval("return redis.error_reply('MYERR custom failure')", [], [])).rejects.toThrow(
      'MYERR custom failure',
    );
  });

  it('loads a script and runs it by hash', async () => {
    const script = "return redis.call('SET', KEYS[1], ARGV[1])";
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1Hex(script));
    expect(await redis.evalsha(sha, ['loaded'], ['v'])).toBe('OK');
    expect(await redis.get('loaded')).toBe('v');
  });

  it('a NOSCRIPT for an unknown hash still comes back as NOSCRIPT', async () => {
    await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });
});

describe('scripts flagged allow-key-locking (Upstash-only)', () => {
  it('are refused by real Redis, which is why the bridge rewrites them', async () => {
    const direct = new RedisConnection(parseRedisUrl(stack.redisUrl));
    const [reply] = await direct.send([['EVAL', FLAGGED, '1', 'direct', '1']]);
    direct.close();
    expect(reply).toBeInstanceOf(RespError);
    expect((reply as RespError).message).toMatch(/Unexpected flag in script shebang/);
  });

  it('run with EVAL, then by the hash of the original text', async () => {
    expect(await redis.eval(FLAGGED, ['flagged'], [2])).toBe(2);
    expect(await redis.evalsha(sha1Hex(FLAGGED), ['flagged'], [3])).toBe(5);
    expect(await redis.scriptExists(sha1Hex(FLAGGED))).toEqual([1]);
  });

  it('SCRIPT LOAD answers with the hash of the original text, which EVALSHA accepts', async () => {
    const script = "#!lua flags=allow-key-locking\nreturn redis.call('GET', KEYS[1])";
    await redis.set('loaded-flagged', 'here');
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1Hex(script));
    expect(await redis.evalsha(sha, ['loaded-flagged'], [])).toBe('here');
  });

  it('keep their other flags: no-writes still forbids writes', async () => {
    const script = "#!lua flags=no-writes,allow-key-locking\nreturn redis.call('SET', KEYS[1], '1')";
    await expect(redis.eval(script, ['ro'], [])).rejects.toThrow(
      /Write commands are not allowed from read-only scripts/,
    );
    const readOnly = "#!lua flags=no-writes,allow-key-locking\nreturn redis.call('EXISTS', KEYS[1])";
    expect(await redis.evalRo(readOnly, ['ro'], [])).toBe(0);
  });

  it('work inside a transaction too', async () => {
    const tx = redis
      .multi()
      .eval(FLAGGED, ['tx-flagged'], [7])
      .evalsha(sha1Hex(FLAGGED), ['tx-flagged'], [1]);
    expect(await tx.exec()).toEqual([7, 8]);
  });

  // Upstash refuses, in a flagged script, any key the call did not pass in KEYS; the bridge too,
  // so a flagged script that builds a key name fails in tests, not first in production.
  it('may touch only the keys they declared, as on Upstash', async () => {
    const builds =
      "#!lua flags=allow-key-locking\nredis.call('SET', KEYS[1], 1)\nreturn redis.call('INCR', 'built:' .. ARGV[1])";
    await expect(redis.eval(builds, ['declared'], ['x'])).rejects.toThrow(
      "ERR Dynamic keys are not allowed in Lua scripts when 'allow-key-locking' flag is set. Key was: built:x",
    );
    await expect(redis.eval(builds, ['declared', 'built:x'], ['x'])).resolves.toBe(1);
    // Several keys, key positions Redis knows (XREADGROUP STREAMS, MSET pairs), pcall's error table.
    const many =
      "#!lua flags=allow-key-locking\nredis.call('MSET', KEYS[1], 'a', KEYS[2], 'b')\n" +
      "local r = redis.pcall('MSET', KEYS[1], 'a', 'undeclared', 'b')\nreturn { redis.call('MGET', KEYS[1], KEYS[2]), r.err }";
    expect(await redis.eval(many, ['m1', 'm2'], [])).toEqual([
      ['a', 'b'],
      "ERR Dynamic keys are not allowed in Lua scripts when 'allow-key-locking' flag is set. Key was: undeclared",
    ]);
    // Commands without keys run as before; unflagged scripts may build keys (global lock on Upstash).
    expect(
      await redis.eval("#!lua flags=allow-key-locking\nreturn redis.call('TIME')[1] ~= nil", [], []),
    ).toBe(1);
    expect(await redis.eval("return redis.call('EXISTS', 'built:' .. ARGV[1])", [], ['x'])).toBe(1);
  });
});

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath } from './find-on-path';
import { checkRedisBinary, parseRedisVersion, redisVersionSupported } from './redis-version';

const dir = mkdtempSync(join(tmpdir(), 'ldm-redis-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shell script that answers `--version` like a redis-server of that version. */
function fakeRedis(name: string, versionLine: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho '${versionLine}'\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('the Redis version gate', () => {
  it('reads the version redis-server reports', () => {
    expect(parseRedisVersion('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toBe(
      '7.0.15',
    );
    expect(parseRedisVersion('Valkey server v=8.1.1 sha=00000000:0')).toBe('8.1.1');
    expect(parseRedisVersion('something else')).toBeUndefined();
  });

  it('needs 6.2 or newer (XAUTOCLAIM)', () => {
    expect(redisVersionSupported('6.2.0')).toBe(true);
    expect(redisVersionSupported('6.2.14')).toBe(true);
    expect(redisVersionSupported('7.0.15')).toBe(true);
    expect(redisVersionSupported('10.0.0')).toBe(true);
    expect(redisVersionSupported('6.1.9')).toBe(false);
    expect(redisVersionSupported('6.0.20')).toBe(false);
    expect(redisVersionSupported('5.0.14')).toBe(false);
  });

  it('refuses an old redis-server with a message that says what to do', () => {
    const old = fakeRedis('old-redis', 'Redis server v=6.0.16 sha=00000000:0 malloc=jemalloc-5.2.1 bits=64');
    expect(() => checkRedisBinary(old, 'on PATH')).toThrow(
      `${old} (on PATH) is Redis 6.0.16; the edge's scripts need Redis 6.2.0 or newer (streams with XAUTOCLAIM, Lua, AOF). Upgrade it, set REDIS_URL to a newer Redis, or take it off PATH and npm start builds a pinned Redis itself.`,
    );
  });

  it('refuses a binary that does not say which Redis it is', () => {
    const odd = fakeRedis('odd-redis', 'hello');
    expect(() => checkRedisBinary(odd, 'on PATH')).toThrow(/did not report a Redis version .*printed: hello/);
  });

  it("accepts a new enough one, and this machine's redis-server", () => {
    expect(checkRedisBinary(fakeRedis('new-redis', 'Redis server v=7.2.15 sha=0'), 'on PATH')).toBe('7.2.15');
    const real = findOnPath('redis-server', process.env.PATH);
    expect(real, 'redis-server on PATH (apt-get install redis-server; .ci/run does)').toBeDefined();
    expect(redisVersionSupported(checkRedisBinary(real as string, 'on PATH'))).toBe(true);
  });
});

import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath } from './find-on-path';
import { getFreePort } from './free-port';
import { MANAGED_REDIS, REDIS_ALTERNATIVES } from './managed-redis';
import { chooseRedis, describeRedisChoice } from './redis-choice';

// The choice order with fake binaries: small shell scripts on a temporary PATH. Each one leaves
// a marker when it runs, so a test can also tell that a lower-ranked choice was not even tried.
const root = mkdtempSync(join(tmpdir(), 'ldm-redis-choice-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

function fakeRedisDir(version: string): { dir: string; binary: string; ran: () => boolean } {
  const dir = join(root, `bin-${++dirs}`);
  mkdirSync(dir);
  const binary = join(dir, 'redis-server');
  const marker = join(dir, 'ran');
  writeFileSync(
    binary,
    `#!/bin/sh\ntouch '${marker}'\necho 'Redis server v=${version} sha=00000000:0 bits=64'\n`,
  );
  chmodSync(binary, 0o755);
  return { dir, binary, ran: () => existsSync(marker) };
}

/** A PATH with make and cc but no redis-server, so only the download can fail. */
function toolchainOnlyDir(): string {
  const dir = join(root, `toolchain-${++dirs}`);
  mkdirSync(dir);
  for (const tool of ['make', 'cc']) {
    const found = findOnPath(tool, process.env.PATH);
    if (!found) throw new Error(`${tool} is needed on PATH for this test`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}

describe('which Redis npm start uses: REDIS_URL, then PATH, then the managed build', () => {
  it('REDIS_URL wins even with a redis-server on PATH (which is not run)', async () => {
    const fake = fakeRedisDir('7.2.4');
    const choice = await chooseRedis({
      env: { REDIS_URL: 'redis://:hunter2@10.0.0.5:6380', PATH: fake.dir },
    });
    expect(choice).toEqual({ source: 'REDIS_URL', url: 'redis://:hunter2@10.0.0.5:6380' });
    expect(fake.ran()).toBe(false);
    expect(describeRedisChoice(choice)).toBe('REDIS_URL redis://:***@10.0.0.5:6380');
  });

  it('else the redis-server on PATH, version checked', async () => {
    const fake = fakeRedisDir('7.0.15');
    const choice = await chooseRedis({ env: { PATH: `${join(root, 'missing')}:${fake.dir}` } });
    expect(choice).toEqual({ source: 'PATH', binary: fake.binary, version: '7.0.15' });
    expect(describeRedisChoice(choice)).toBe(`redis-server 7.0.15 on PATH (${fake.binary})`);
  });

  it('refuses a redis-server on PATH that is too old, instead of failing later in a script', async () => {
    const fake = fakeRedisDir('6.0.16');
    await expect(chooseRedis({ env: { PATH: fake.dir } })).rejects.toThrow(
      `${fake.binary} (on PATH) is Redis 6.0.16; the edge's scripts need Redis 6.2.0 or newer`,
    );
  });

  it('else the managed build, from its cache when one was built before', async () => {
    const cacheDir = join(root, 'cache-built');
    const cached = join(cacheDir, MANAGED_REDIS.version, 'redis-server');
    mkdirSync(join(cacheDir, MANAGED_REDIS.version), { recursive: true });
    writeFileSync(cached, `#!/bin/sh\necho 'Redis server v=${MANAGED_REDIS.version} sha=00000000:0'\n`);
    chmodSync(cached, 0o755);
    const choice = await chooseRedis({
      env: {
        PATH: join(root, 'empty'),
        LDM_REDIS_CACHE_DIR: cacheDir,
        LDM_REDIS_MIRROR: 'http://127.0.0.1:9/x',
      },
    });
    expect(choice).toEqual({ source: 'managed', binary: cached, version: MANAGED_REDIS.version });
    expect(describeRedisChoice(choice)).toBe(
      `redis-server ${MANAGED_REDIS.version} built by npm start (${cached})`,
    );
  });

  it('else downloads and builds; offline, it says so with a progress line and names both alternatives', async () => {
    const mirror = `http://127.0.0.1:${await getFreePort()}/releases`;
    const lines: string[] = [];
    const attempt = chooseRedis({
      env: {
        PATH: toolchainOnlyDir(),
        LDM_REDIS_CACHE_DIR: join(root, 'cache-empty'),
        LDM_REDIS_MIRROR: mirror,
      },
      progress: (line) => lines.push(line),
    });
    await expect(attempt).rejects.toThrow(
      `Cannot download ${mirror}/redis-${MANAGED_REDIS.version}.tar.gz: ECONNREFUSED (is this machine offline or behind a proxy?).\n${REDIS_ALTERNATIVES}`,
    );
    expect(lines).toEqual([
      `no REDIS_URL and no redis-server on PATH: building Redis ${MANAGED_REDIS.version} once (1 to 4 minutes; later starts reuse it)`,
      `downloading ${mirror}/redis-${MANAGED_REDIS.version}.tar.gz ...`,
    ]);
  });
});

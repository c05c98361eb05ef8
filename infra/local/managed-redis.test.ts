import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from './find-on-path';
import { getFreePort } from './free-port';
import { managedRedisBinary, obtainManagedRedis, REDIS_ALTERNATIVES } from './managed-redis';
import { pingRedis, startRedisServer } from './redis-server';
import { checkRedisBinary } from './redis-version';

// The real archive comes from download.redis.io, which this machine cannot reach. The test serves
// a source archive of its own from a local mirror instead: a Makefile whose `make` "builds"
// src/redis-server (a script that runs this machine's real redis-server). Everything else is the
// real path: fetch, the SHA-256 check, redis-memory-server's extract + make + copy into the cache.
const VERSION = '7.2.99-test';
// redis-memory-server remembers a version's binary path for the whole process, so each test that
// builds again needs a version of its own.
const ENV_VERSION = '7.2.97-test';
const CHUNKED_VERSION = '7.2.96-test';
const archives = new Map<string, Buffer>();
const work = mkdtempSync(join(tmpdir(), 'ldm-managed-redis-'));
const realRedis = findOnPath('redis-server', process.env.PATH);
let mirror: Server;
let mirrorUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  if (!realRedis)
    throw new Error('redis-server on PATH is needed (apt-get install redis-server; .ci/run does)');
  for (const version of [VERSION, ENV_VERSION, CHUNKED_VERSION]) {
    const source = join(work, 'src-tree', `redis-${version}`);
    mkdirSync(join(source, 'src'), { recursive: true });
    writeFileSync(join(source, 'src', 'redis-server.in'), `#!/bin/sh\nexec '${realRedis}' "$@"\n`);
    writeFileSync(
      join(source, 'Makefile'),
      'all:\n\tcp src/redis-server.in src/redis-server\n\tchmod +x src/redis-server\n',
    );
    const file = join(work, `archive-${version}.tar.gz`);
    execFileSync('tar', ['-czf', file, '-C', join(work, 'src-tree'), `redis-${version}`]);
    archives.set(version, readFileSync(file));
  }
  mirror = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, folder, name] = (req.url ?? '').split('/');
    const served = archives.get(name?.replace(/^redis-(.*)\.tar\.gz$/, '$1') ?? '');
    if (folder === 'releases' && served) {
      res.writeHead(200, { 'content-length': served.length });
      res.end(served);
    } else if (folder === 'chunked' && served) {
      // No Content-Length: only counting the bytes as they come can stop it.
      res.writeHead(200);
      res.end(served);
    } else if (req.url === `/huge/redis-${VERSION}.tar.gz`) {
      res.writeHead(200, { 'content-length': 100 * 1024 * 1024 });
      res.write(Buffer.alloc(1024));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/releases`;
});
afterAll(async () => {
  mirror?.closeAllConnections();
  await new Promise((resolve) => mirror?.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

const sha256 = (version = VERSION) =>
  createHash('sha256')
    .update(archives.get(version) as Buffer)
    .digest('hex');

describe('the managed Redis (no REDIS_URL, no redis-server on PATH)', () => {
  it('downloads the pinned source, checks its hash, builds it once into the cache, and it runs', async () => {
    const cacheDir = join(work, 'cache-ok');
    const lines: string[] = [];
    const binary = await obtainManagedRedis({
      cacheDir,
      version: VERSION,
      sha256: sha256(),
      mirror: mirrorUrl,
      progress: (line) => lines.push(line),
    });
    expect(binary).toBe(managedRedisBinary(cacheDir, VERSION));
    expect(lines[0]).toBe(
      `no REDIS_URL and no redis-server on PATH: building Redis ${VERSION} once (1 to 4 minutes; later starts reuse it)`,
    );
    expect(lines).toContain(`downloading ${mirrorUrl}/redis-${VERSION}.tar.gz ...`);
    expect(lines).toContain(`building Redis ${VERSION} with make (once; kept in ${cacheDir}) ...`);
    // Only the binary stays: no archive, no extracted tree.
    expect(readdirSync(join(cacheDir, VERSION))).toEqual(['redis-server']);
    expect(existsSync(join(cacheDir, `redis-${VERSION}.tar.gz`))).toBe(false);

    expect(checkRedisBinary(binary, 'built by npm start')).toMatch(/^\d+\.\d+\.\d+$/);
    const redis = await startRedisServer({ binary, appendOnly: false });
    expect(await pingRedis(redis.port)).toBe(true);
    await redis.stop();

    // The second start uses the cache: no request to the mirror.
    const before = requests.length;
    expect(
      await obtainManagedRedis({ cacheDir, version: VERSION, sha256: sha256(), mirror: mirrorUrl }),
    ).toBe(binary);
    expect(requests.length).toBe(before);
  });

  it('refuses an archive whose SHA-256 is not the pinned one, and builds nothing', async () => {
    const cacheDir = join(work, 'cache-bad-hash');
    const pinned = 'a'.repeat(64);
    await expect(
      obtainManagedRedis({ cacheDir, version: VERSION, sha256: pinned, mirror: mirrorUrl }),
    ).rejects.toThrow(
      `Refusing ${mirrorUrl}/redis-${VERSION}.tar.gz: its SHA-256 is ${sha256()}, the pinned one is ${pinned}.\n${REDIS_ALTERNATIVES}`,
    );
    expect(existsSync(managedRedisBinary(cacheDir, VERSION))).toBe(false);
  });

  it("ignores REDISMS_* download settings: it builds our verified archive, never one of redis-memory-server's", async () => {
    const origin = mirrorUrl.replace(/\/releases$/, '');
    const settings = {
      REDISMS_DOWNLOAD_URL: `${origin}/unverified/redis-${ENV_VERSION}.tar.gz`,
      REDISMS_DOWNLOAD_MIRROR: `${origin}/unverified-mirror`,
      REDISMS_IGNORE_DOWNLOAD_CACHE: '1',
    };
    Object.assign(process.env, settings);
    const cacheDir = join(work, 'cache-redisms-env');
    try {
      const binary = await obtainManagedRedis({
        cacheDir,
        version: ENV_VERSION,
        sha256: sha256(ENV_VERSION),
        mirror: mirrorUrl,
      });
      expect(binary).toBe(managedRedisBinary(cacheDir, ENV_VERSION));
      expect(requests.filter((url) => url.startsWith('/unverified'))).toEqual([]);
      // The caller's environment is given back as it was.
      for (const [name, value] of Object.entries(settings)) expect(process.env[name]).toBe(value);
    } finally {
      for (const name of Object.keys(settings)) delete process.env[name];
    }
  });

  it('refuses an archive over 64 MB by its Content-Length, before reading it', async () => {
    const origin = mirrorUrl.replace(/\/releases$/, '');
    const cacheDir = join(work, 'cache-huge');
    await expect(
      obtainManagedRedis({ cacheDir, version: VERSION, sha256: sha256(), mirror: `${origin}/huge` }),
    ).rejects.toThrow(
      `Refusing ${origin}/huge/redis-${VERSION}.tar.gz: it is larger than 64 MB (a Redis source archive is a few MB).`,
    );
    expect(existsSync(managedRedisBinary(cacheDir, VERSION))).toBe(false);
  });

  it('counts the bytes of a body without Content-Length and stops at the cap', async () => {
    const origin = mirrorUrl.replace(/\/releases$/, '');
    const cacheDir = join(work, 'cache-chunked');
    const chunkedLength = (archives.get(CHUNKED_VERSION) as Buffer).length;
    const url = `${origin}/chunked/redis-${CHUNKED_VERSION}.tar.gz`;
    // The same archive passes under a cap it fits in and is refused under one byte less.
    await expect(
      obtainManagedRedis({
        cacheDir,
        version: CHUNKED_VERSION,
        sha256: sha256(CHUNKED_VERSION),
        mirror: `${origin}/chunked`,
        maxArchiveBytes: chunkedLength - 1,
      }),
    ).rejects.toThrow(`Refusing ${url}: it is larger than`);
    expect(existsSync(managedRedisBinary(cacheDir, CHUNKED_VERSION))).toBe(false);
    expect(
      await obtainManagedRedis({
        cacheDir,
        version: CHUNKED_VERSION,
        sha256: sha256(CHUNKED_VERSION),
        mirror: `${origin}/chunked`,
        maxArchiveBytes: chunkedLength,
      }),
    ).toBe(managedRedisBinary(cacheDir, CHUNKED_VERSION));
  });

  it('without network names the two alternatives', async () => {
    const closed = `http://127.0.0.1:${await getFreePort()}/releases`;
    const attempt = obtainManagedRedis({ cacheDir: join(work, 'cache-offline'), mirror: closed });
    await expect(attempt).rejects.toThrow(
      `Cannot download ${closed}/redis-7.2.15.tar.gz: ECONNREFUSED (is this machine offline or behind a proxy?).\n${REDIS_ALTERNATIVES}`,
    );
    expect(REDIS_ALTERNATIVES).toContain('sudo apt-get install -y redis-server');
    expect(REDIS_ALTERNATIVES).toContain('set REDIS_URL');
  });

  it('without make or a C compiler says so before downloading anything', async () => {
    const bin = join(work, 'bin-no-cc');
    mkdirSync(bin);
    const make = findOnPath('make', process.env.PATH);
    if (make) symlinkSync(make, join(bin, 'make'));
    const before = requests.length;
    await expect(
      obtainManagedRedis({
        cacheDir: join(work, 'cache-no-cc'),
        version: VERSION,
        mirror: mirrorUrl,
        path: bin,
      }),
    ).rejects.toThrow(
      `Cannot build Redis ${VERSION}: building it needs make and a C compiler, and ${make ? 'no C compiler (cc, gcc, clang)' : 'no make'} was found on PATH.\n${REDIS_ALTERNATIVES}`,
    );
    expect(requests.length).toBe(before);
  });

  it('reports a failing build with its output and keeps nothing half-built', async () => {
    const version = '7.2.98-test';
    const source = join(work, 'broken-tree', `redis-${version}`);
    mkdirSync(source, { recursive: true });
    writeFileSync(
      join(source, 'Makefile'),
      'all:\n\t@echo "cc: error: simulated compile failure" >&2; exit 2\n',
    );
    execFileSync('tar', [
      '-czf',
      join(work, 'broken.tar.gz'),
      '-C',
      join(work, 'broken-tree'),
      `redis-${version}`,
    ]);
    const broken = readFileSync(join(work, 'broken.tar.gz'));
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-length': broken.length }).end(broken),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const cacheDir = join(work, 'cache-broken');
    try {
      await expect(
        obtainManagedRedis({
          cacheDir,
          version,
          sha256: createHash('sha256').update(broken).digest('hex'),
          mirror: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        }),
      ).rejects.toThrow(
        /^Building Redis 7\.2\.98-test from source failed \(make and a C compiler are needed\): .*simulated compile failure[\s\S]*set REDIS_URL/,
      );
      expect(existsSync(join(cacheDir, version))).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

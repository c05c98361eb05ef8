import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath } from './find-on-path';
import { getFreePort } from './free-port';
import { MANAGED_REDIS, REDIS_ALTERNATIVES } from './managed-redis';
import { pingRedis, startRedisServer } from './redis-server';
import { checkRedisBinary } from './redis-version';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('npm start (the local stack launcher)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ldm-start-'));
  let launcher: ChildProcess | undefined;
  afterAll(() => {
    if (launcher?.exitCode === null) launcher.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(
    env: NodeJS.ProcessEnv = process.env,
    dir = dataDir,
  ): { child: ChildProcess; output: () => string } {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'infra/local/start.ts', '--workers', '0', '--port', '0', '--data-dir', dir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    let text = '';
    child.stdout?.on('data', (d) => (text += d));
    child.stderr?.on('data', (d) => (text += d));
    launcher = child;
    return { child, output: () => text };
  }

  async function runUntilUp(env?: NodeJS.ProcessEnv, dir = dataDir) {
    const { child, output } = start(env, dir);
    await waitFor(
      'the stack to come up',
      () => (output().includes('LDM platform is up') ? true : undefined),
      150_000,
    );
    const info = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8'));
    return { child, output, info };
  }

  async function stop(child: ChildProcess, output: () => string, minChildren = 2) {
    const family = descendants(child.pid!);
    expect(family.length).toBeGreaterThanOrEqual(minChildren); // redis-server (unless REDIS_URL) and workerd
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('stopped.');
    await waitFor(
      'every child to exit',
      () => (family.every((pid) => !alive(pid)) ? true : undefined),
      10_000,
    );
  }

  it('brings up Redis, bridge and edge, creates a key, and leaves nothing behind on SIGTERM', async () => {
    const { child, output, info } = await runUntilUp();
    expect(info).toMatchObject({ base_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(info.api_key).toMatch(/^ldm_live_/);
    const health = await fetch(`${info.base_url}/healthz`);
    expect(health.status).toBe(200);
    const account = await fetch(`${info.base_url}/v1/account`, {
      headers: { authorization: `Bearer ${info.api_key}` },
    });
    expect(account.status).toBe(200);
    expect(existsSync(join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
    // What it waited on, with timings, and where to go: the playground signed in by the fragment.
    const text = output();
    expect(text).toMatch(/^ {2}redis: redis-server \d+\.\d+\.\d+ on PATH \(\/.*redis-server\) \.\.\.$/m);
    for (const step of ['redis', 'upstash bridge', 'edge bundle', 'edge in workerd', 'account and API key']) {
      expect(text).toMatch(new RegExp(`^ {2}${step}(: .+)? \\.\\.\\.$`, 'm'));
      expect(text).toMatch(new RegExp(`^ {2}${step} \\.\\.\\. \\d+\\.\\d s$`, 'm'));
    }
    expect(text).toContain(`  open        ${info.base_url}/#key=${info.api_key}\n`);
    const port = Number(new URL(info.base_url).port);
    await stop(child, output);
    expect(await portOpen(port)).toBe(false);
  }, 240_000);

  it('reuses the same account and key on the next start (idempotent bootstrap, data kept)', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
    const { child, output, info } = await runUntilUp();
    expect(info.api_key).toBe(before.api_key);
    expect(info.account_id).toBe(before.account_id);
    const account = await fetch(`${info.base_url}/v1/account`, {
      headers: { authorization: `Bearer ${info.api_key}` },
    });
    expect(account.status).toBe(200);
    await stop(child, output);
  }, 240_000);

  // Each way of getting Redis, through the launcher itself. The fake binaries are shell scripts on
  // a PATH that holds nothing else (the real redis-server is in /usr/bin, next to node).
  describe('where Redis comes from', () => {
    const root = mkdtempSync(join(tmpdir(), 'ldm-start-redis-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const realRedis = findOnPath('redis-server', process.env.PATH) as string;
    const baseEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      for (const key of ['REDIS_URL', 'LDM_REDIS_MIRROR']) if (!(key in extra)) delete env[key];
      return env;
    };
    const binDir = (name: string, files: Record<string, string>) => {
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      for (const [file, target] of Object.entries(files)) {
        if (target.startsWith('#!')) {
          writeFileSync(join(dir, file), target);
          chmodSync(join(dir, file), 0o755);
        } else symlinkSync(target, join(dir, file));
      }
      return dir;
    };
    async function runToExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; text: string }> {
      const { child, output } = start(env, join(root, 'data-failing'));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      return { code, text: output() };
    }

    it('REDIS_URL: uses that Redis and starts no redis-server', async () => {
      const redis = await startRedisServer({ appendOnly: false });
      try {
        const dir = join(root, 'data-url');
        const env = baseEnv({ REDIS_URL: redis.url, PATH: binDir('empty', {}) });
        const { child, output, info } = await runUntilUp(env, dir);
        expect(output()).toMatch(new RegExp(`^ {2}redis: REDIS_URL ${redis.url}/? \\.\\.\\.$`, 'm'));
        const account = await fetch(`${info.base_url}/v1/account`, {
          headers: { authorization: `Bearer ${info.api_key}` },
        });
        expect(account.status).toBe(200);
        expect(existsSync(join(dir, 'redis'))).toBe(false);
        await stop(child, output, 1);
        expect(await pingRedis(redis.port)).toBe(true); // not ours to stop
      } finally {
        await redis.stop();
      }
    }, 240_000);

    it('PATH: a redis-server that is too old is refused with what to do', async () => {
      const path = binDir('old', {
        'redis-server': "#!/bin/sh\necho 'Redis server v=6.0.16 sha=00000000:0'\n",
      });
      const { code, text } = await runToExit(baseEnv({ PATH: path }));
      expect(code).toBe(1);
      expect(text).toContain(
        `npm start failed: ${join(path, 'redis-server')} (on PATH) is Redis 6.0.16; the edge's scripts need Redis 6.2.0 or newer`,
      );
      expect(text).toContain('set REDIS_URL to a newer Redis');
    }, 60_000);

    it('managed: a Redis built before is taken from the cache folder', async () => {
      const cacheDir = join(root, 'cache-built');
      mkdirSync(join(cacheDir, MANAGED_REDIS.version), { recursive: true });
      const cached = join(cacheDir, MANAGED_REDIS.version, 'redis-server');
      // Stands in for the build's output: this machine's redis-server under the cache's name.
      writeFileSync(cached, `#!/bin/sh\nexec '${realRedis}' "$@"\n`);
      chmodSync(cached, 0o755);
      const env = baseEnv({ PATH: binDir('empty', {}), LDM_REDIS_CACHE_DIR: cacheDir });
      const { child, output } = await runUntilUp(env, join(root, 'data-managed'));
      expect(output()).toContain(
        `  redis: redis-server ${checkRedisBinary(realRedis, 'x')} built by npm start (${cached}) ...`,
      );
      expect(output()).not.toContain('downloading');
      await stop(child, output);
    }, 240_000);

    it('managed: offline, it shows its progress and names the two alternatives', async () => {
      const mirror = `http://127.0.0.1:${await getFreePort()}/releases`;
      const path = binDir('toolchain', {
        make: findOnPath('make', process.env.PATH) as string,
        cc: findOnPath('cc', process.env.PATH) as string,
      });
      const env = baseEnv({
        PATH: path,
        LDM_REDIS_CACHE_DIR: join(root, 'cache-empty'),
        LDM_REDIS_MIRROR: mirror,
      });
      const { code, text } = await runToExit(env);
      expect(code).toBe(1);
      expect(text).toContain(
        `    no REDIS_URL and no redis-server on PATH: building Redis ${MANAGED_REDIS.version} once (1 to 4 minutes; later starts reuse it)\n`,
      );
      expect(text).toContain(
        `npm start failed: Cannot download ${mirror}/redis-${MANAGED_REDIS.version}.tar.gz`,
      );
      expect(text).toContain(REDIS_ALTERNATIVES);
    }, 60_000);

    it('managed: without make or a C compiler, it says so and names the two alternatives', async () => {
      const env = baseEnv({ PATH: binDir('nothing', {}), LDM_REDIS_CACHE_DIR: join(root, 'cache-empty') });
      const { code, text } = await runToExit(env);
      expect(code).toBe(1);
      expect(text).toContain(
        `npm start failed: Cannot build Redis ${MANAGED_REDIS.version}: building it needs make and a C compiler, and no make was found on PATH.\n${REDIS_ALTERNATIVES}`,
      );
    }, 60_000);
  });
});

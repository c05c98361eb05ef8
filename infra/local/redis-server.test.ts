import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pingRedis, startRedisServer } from './redis-server';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('startRedisServer', () => {
  it('answers PING on a private loopback port and is gone after stop()', async () => {
    const redis = await startRedisServer();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await pingRedis(redis.port)).toBe(true);
    await redis.stop();
    expect(await pingRedis(redis.port)).toBe(false);
  });

  it('does not outlive a parent that exits without calling stop()', async () => {
    const script = `
      import { startRedisServer } from './infra/local/redis-server.ts';
      const redis = await startRedisServer();
      console.log(redis.port);
      process.exit(0);
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const port = Number(run.stdout.trim());
    expect(port).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    while ((await pingRedis(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await pingRedis(port)).toBe(false);
  });
});

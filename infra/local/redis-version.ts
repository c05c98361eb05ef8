import { spawnSync } from 'node:child_process';

/**
 * The oldest Redis the edge's scripts run on: streams with consumer groups, XAUTOCLAIM (6.2:
 * the lease reaper and the meter flush reclaim idle entries with it), Lua with cjson, and AOF.
 */
export const MIN_REDIS_VERSION = '6.2.0';

/** The version in `redis-server --version` output ("Redis server v=7.0.15 sha=..."). */
export function parseRedisVersion(output: string): string | undefined {
  return /\bv=(\d+\.\d+\.\d+)\b/.exec(output)?.[1];
}

function numbers(version: string): number[] {
  return version.split('.').map(Number);
}

export function redisVersionSupported(version: string): boolean {
  const have = numbers(version);
  const need = numbers(MIN_REDIS_VERSION);
  for (let i = 0; i < need.length; i++) {
    if (have[i] !== need[i]) return (have[i] ?? 0) > need[i];
  }
  return true;
}

/**
 * Runs `binary --version` and returns its version, or throws a message that says what to do:
 * an old redis-server would start, then fail on the first script that calls XAUTOCLAIM.
 */
export function checkRedisBinary(binary: string, where: string): string {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = run.status === 0 ? parseRedisVersion(run.stdout) : undefined;
  if (!version) {
    throw new Error(
      `${binary} (${where}) did not report a Redis version (\`redis-server --version\` ` +
        `${run.error ? `failed: ${run.error.message}` : `printed: ${(run.stdout + run.stderr).trim().slice(0, 200)}`}).`,
    );
  }
  if (!redisVersionSupported(version)) {
    throw new Error(
      `${binary} (${where}) is Redis ${version}; the edge's scripts need Redis ${MIN_REDIS_VERSION} or newer ` +
        '(streams with XAUTOCLAIM, Lua, AOF). Upgrade it, set REDIS_URL to a newer Redis, or take it off ' +
        'PATH and npm start builds a pinned Redis itself.',
    );
  }
  return version;
}

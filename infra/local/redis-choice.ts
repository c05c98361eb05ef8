import { findOnPath } from './find-on-path';
import { defaultRedisCacheDir, MANAGED_REDIS, obtainManagedRedis } from './managed-redis';
import { checkRedisBinary } from './redis-version';

/** Where the local stack's Redis comes from, in the order they are tried. */
export type RedisChoice =
  | { source: 'REDIS_URL'; url: string }
  | { source: 'PATH' | 'managed'; binary: string; version: string };

export interface ChooseRedisOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines while a managed Redis is fetched and built. */
  progress?: (line: string) => void;
}

/**
 * REDIS_URL if set; else redis-server on PATH (Debian's package: the fast path, and CI's); else
 * the pinned Redis built once into a cache folder. A binary that is too old is refused rather
 * than skipped, so the newcomer learns why their own redis-server is not used.
 */
export async function chooseRedis(options: ChooseRedisOptions = {}): Promise<RedisChoice> {
  const env = options.env ?? process.env;
  if (env.REDIS_URL) return { source: 'REDIS_URL', url: env.REDIS_URL };

  const onPath = findOnPath('redis-server', env.PATH);
  if (onPath) return { source: 'PATH', binary: onPath, version: checkRedisBinary(onPath, 'on PATH') };

  const binary = await obtainManagedRedis({
    cacheDir: defaultRedisCacheDir(env),
    mirror: env.LDM_REDIS_MIRROR || MANAGED_REDIS.mirror,
    path: env.PATH,
    progress: options.progress,
  });
  return { source: 'managed', binary, version: checkRedisBinary(binary, 'built by npm start') };
}

export function describeRedisChoice(choice: RedisChoice): string {
  if (choice.source === 'REDIS_URL') return `REDIS_URL ${redactUrl(choice.url)}`;
  return `redis-server ${choice.version} ${choice.source === 'PATH' ? 'on PATH' : 'built by npm start'} (${choice.binary})`;
}

/** A REDIS_URL may carry a password; it is never printed. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

import { Redis } from '@upstash/redis/cloudflare';
import type { Config } from '../env';

const clients = new WeakMap<Config, Redis>();

/**
 * One client per isolate. Auto-pipelining is on: commands issued in the same tick travel in one
 * REST request, which is how auth and the rate limit share a round trip. Replies stay strings
 * (no automatic deserialization), so a numeric-looking field is never silently turned into a number.
 */
export function redisFor(config: Config): Redis {
  let redis = clients.get(config);
  if (!redis) {
    redis = new Redis({
      url: config.redis.url,
      token: config.redis.token,
      automaticDeserialization: false,
      enableAutoPipelining: true,
      enableTelemetry: false,
      retry: { retries: 2, backoff: (n) => 50 * 2 ** n },
    });
    clients.set(config, redis);
  }
  return redis;
}

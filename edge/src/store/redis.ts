import { Redis } from '@upstash/redis/cloudflare';
import type { Config } from '../env';

export interface RedisClients {
  /**
   * Every command is its own REST request, sent at once. The default: most requests issue one
   * command (a script) at a time, and auto-pipelining would build a whole @upstash/redis
   * Pipeline object for it (the edge's largest JavaScript cost per submit, measured with a CPU
   * profile of `npm run bench:edge`'s load).
   */
  direct: Redis;
  /**
   * Auto-pipelined: commands issued in the same tick travel in one REST request. For the places
   * that issue several at once on purpose (auth lookup + rate limit, listings, reports).
   */
  batched: Redis;
}

const clients = new WeakMap<Config, RedisClients>();

/**
 * The clients of one isolate. Replies stay strings (no automatic deserialization), so a
 * numeric-looking field is never silently turned into a number, and come back as plain JSON
 * strings rather than base64: everything the edge stores is UTF-8 text, and decoding base64
 * for every reply costs CPU on every request.
 */
export function redisFor(config: Config): RedisClients {
  let pair = clients.get(config);
  if (!pair) {
    const { url, token } = config.redis;
    pair = { direct: restClient(url, token, false), batched: restClient(url, token, true) };
    clients.set(config, pair);
  }
  return pair;
}

/** One client with the edge's settings (also the bench's calibration Worker, `bench/rest-floor.ts`). */
export function restClient(url: string, token: string, enableAutoPipelining: boolean): Redis {
  return new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableAutoPipelining,
    enableTelemetry: false,
    responseEncoding: false,
    retry: { retries: 2, backoff: (n) => 50 * 2 ** n },
  });
}

import { randomBytes } from 'node:crypto';
import { startRedisServer } from './redis-server';
import { startUpstashBridge } from './upstash-bridge/server';

export interface RedisWithBridge {
  /** `redis://127.0.0.1:<port>` of the private redis-server. */
  redisUrl: string;
  /** Base URL for `new Redis({ url: bridgeUrl, token })` from `@upstash/redis`. */
  bridgeUrl: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * A private redis-server (no AOF, temporary dir) with the Upstash REST bridge in front, both on
 * free loopback ports, for tests that use `@upstash/redis` the way production does.
 */
export async function startRedisWithBridge(): Promise<RedisWithBridge> {
  const redis = await startRedisServer({ appendOnly: false });
  const token = randomBytes(24).toString('base64url');
  try {
    const bridge = await startUpstashBridge({ redisPort: redis.port, token });
    return {
      redisUrl: redis.url,
      bridgeUrl: bridge.url,
      token,
      async stop() {
        await bridge.close();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/// <reference types="node" />
import { type RedisWithBridge, startRedisWithBridge } from '@ldm/infra/local/test-stack';
import { Redis } from '@upstash/redis';

export interface ScriptRedisFixture {
  /** The client the edge uses in production (REST, base64 replies) through the local bridge. */
  redis: Redis;
  stack: RedisWithBridge;
  stop(): Promise<void>;
}

/** A private redis-server behind the Upstash REST bridge, and a client configured like the edge's. */
export async function startScriptRedis(): Promise<ScriptRedisFixture> {
  const stack = await startRedisWithBridge();
  const redis = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });
  return { redis, stack, stop: () => stack.stop() };
}

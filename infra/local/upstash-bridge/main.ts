import { startUpstashBridge } from './server';

/**
 * Runs the bridge as its own process: `tsx infra/local/upstash-bridge/main.ts` with REDIS_URL,
 * UPSTASH_TOKEN and PORT (optional: HOST, default 127.0.0.1; POOL_SIZE, Redis connections, default 4).
 * Stops cleanly on SIGINT/SIGTERM.
 */
function readConfig(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const redisUrl = env.REDIS_URL ?? '';
  if (!redisUrl.startsWith('redis://')) problems.push('REDIS_URL must be set to redis://host:port[/db]');
  const token = env.UPSTASH_TOKEN ?? '';
  if (token.length < 8) problems.push('UPSTASH_TOKEN must be set, at least 8 characters');
  const port = Number(env.PORT ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push('PORT must be an integer from 0 to 65535');
  const poolSize = Number(env.POOL_SIZE ?? '4');
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 64) {
    problems.push('POOL_SIZE must be an integer from 1 to 64');
  }
  if (problems.length > 0) throw new Error(`upstash-bridge: ${problems.join('; ')}`);
  return { redisUrl, token, port, poolSize, host: env.HOST ?? '127.0.0.1' };
}

try {
  const bridge = await startUpstashBridge(readConfig(process.env));
  // One line on stdout the launcher can wait for; the token is never printed.
  console.log(`upstash-bridge listening on ${bridge.url}`);
  const stop = () => {
    bridge.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

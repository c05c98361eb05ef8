/** Where and how to reach Redis, parsed once from a `redis://` URL or a bare port. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
}

/** Parses `redis://[[user]:password@]host[:port][/db]`; TLS (`rediss://`) is out of scope locally. */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`redisUrl is not a valid URL: expected redis://host:port[/db]`);
  }
  if (parsed.protocol !== 'redis:') {
    throw new Error(`redisUrl must start with redis:// (got ${parsed.protocol}//); TLS is not supported`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0 || db > 15) {
    throw new Error('redisUrl database must be an integer from 0 to 15');
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db,
  };
}

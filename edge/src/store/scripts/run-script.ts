import type { Redis } from '@upstash/redis';

/** A Lua script and the SHA-1 of its text (edge/src/lua/scripts.generated.ts), run by hash first. */
export interface LuaScript {
  name: string;
  lua: string;
  sha1: string;
}

/** The only commands the scripts need; narrowing keeps tests and callers honest about it. */
export type ScriptRedis = Pick<Redis, 'evalsha' | 'eval'>;

/**
 * Runs a script by hash (one REST request, no script body on the wire) and falls back to EVAL,
 * which also loads it, when Redis has not seen the hash yet (first call after a restart or a
 * SCRIPT FLUSH). Every script returns one JSON string, decoded here.
 */
export async function runScript<T>(
  redis: ScriptRedis,
  script: LuaScript,
  keys: string[],
  args: string[],
): Promise<T> {
  let reply: unknown;
  try {
    reply = await redis.evalsha(script.sha1, keys, args);
  } catch (error) {
    if (!String(error).includes('NOSCRIPT')) throw error;
    reply = await redis.eval(script.lua, keys, args);
  }
  return decodeReply<T>(script, reply);
}

/**
 * A client built with automatic deserialization hands back the parsed object, one built without
 * it (as ENVIRONMENT.md advises for stream fields) the JSON text: accept both.
 */
function decodeReply<T>(script: LuaScript, reply: unknown): T {
  if (typeof reply === 'string') return JSON.parse(reply) as T;
  if (reply !== null && typeof reply === 'object') return reply as T;
  throw new Error(`script ${script.name} returned ${typeof reply}, expected a JSON object`);
}

/** Lua's cjson encodes an empty table as `{}`; a list field may therefore arrive as an object. */
export function asList<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** Why a fenced script refused to act; it changed nothing. */
export type Refusal = { outcome: 'lease_lost' } | { outcome: 'not_found' };

/** Lua markers (LEASE_LOST, NOT_FOUND in lua/prelude.lua) as a typed refusal, or null to go on. */
export function refusalOf(reply: object): Refusal | null {
  const marker = reply as { lease_lost?: boolean; not_found?: boolean };
  if (marker.lease_lost) return { outcome: 'lease_lost' };
  if (marker.not_found) return { outcome: 'not_found' };
  return null;
}

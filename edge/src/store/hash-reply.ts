/**
 * HGETALL with automatic deserialization off comes back as Redis sends it, a flat
 * [field, value, ...] array; this turns it (or an already-built object) into a record.
 */
export function hashFromReply(reply: unknown): Record<string, string> | null {
  if (!reply) return null;
  if (Array.isArray(reply)) {
    if (reply.length === 0) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
    return out;
  }
  if (typeof reply === 'object') {
    const entries = Object.entries(reply as Record<string, unknown>);
    return entries.length ? Object.fromEntries(entries.map(([k, v]) => [k, String(v)])) : null;
  }
  return null;
}

/** HMGET as a positional list (null for a missing field), whichever shape the client returned. */
export async function hmget(
  redis: { hmget: (key: string, ...fields: string[]) => Promise<unknown> },
  key: string,
  ...fields: string[]
): Promise<(string | null)[]> {
  const reply = await redis.hmget(key, ...fields);
  if (Array.isArray(reply)) return reply.map((v) => (v === null || v === undefined ? null : String(v)));
  const record = (reply ?? {}) as Record<string, unknown>;
  return fields.map((f) => (record[f] === null || record[f] === undefined ? null : String(record[f])));
}

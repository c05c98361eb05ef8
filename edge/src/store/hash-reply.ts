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

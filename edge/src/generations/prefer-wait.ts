import { LIMITS } from '@ldm/shared';

/**
 * `Prefer: wait` / `Prefer: wait=N` (RFC 7240): seconds to hold the response for the result,
 * capped at LIMITS.preferWaitMaxSeconds; null when the header asks no wait.
 */
export function preferWaitSeconds(header: string | undefined): number | null {
  if (!header) return null;
  for (const preference of header.split(',')) {
    const match = /^\s*wait\s*(?:=\s*"?(\d+)"?)?\s*(?:;.*)?$/i.exec(preference);
    if (match) {
      const asked = match[1] === undefined ? LIMITS.preferWaitMaxSeconds : Number(match[1]);
      return Math.min(asked, LIMITS.preferWaitMaxSeconds);
    }
  }
  return null;
}

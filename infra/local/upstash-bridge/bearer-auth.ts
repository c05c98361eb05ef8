import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first so the
 * comparison takes the same time whatever the length of the guess, and the token never leaves here.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => boolean {
  if (token.length < 8) throw new Error('token must be at least 8 characters long');
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (authorization) => {
    if (authorization === undefined || authorization.length < 7) return false;
    if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return false;
    const offered = createHash('sha256').update(authorization.slice(7).trim(), 'utf8').digest();
    return timingSafeEqual(offered, expected);
  };
}

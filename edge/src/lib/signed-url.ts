import { hmacSha256, timingSafeEqual } from './crypto';

/**
 * Expiring links to outputs: `?expires=<unix s>&sig=<HMAC-SHA256(secret, path + "\n" + expires)>`.
 * The path is part of the MAC, so a signature for one image opens no other.
 */
export async function signPath(secret: string, path: string, expiresAt: number): Promise<string> {
  const sig = await hmacSha256(secret, `${path}\n${expiresAt}`);
  return `${path}?expires=${expiresAt}&sig=${sig}`;
}

export type SignatureCheck = 'valid' | 'expired' | 'invalid';

export async function checkSignature(
  secret: string,
  path: string,
  expires: string,
  sig: string,
  nowSeconds: number,
): Promise<SignatureCheck> {
  if (!/^\d{1,12}$/.test(expires)) return 'invalid';
  const expected = await hmacSha256(secret, `${path}\n${expires}`);
  // Checked before expiry so a tampered link never learns whether its time was still good.
  if (!(await timingSafeEqual(sig, expected))) return 'invalid';
  return Number(expires) < nowSeconds ? 'expired' : 'valid';
}

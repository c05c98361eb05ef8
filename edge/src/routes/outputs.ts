import { CONTENT_TYPES } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../context';
import { ApiError } from '../errors/api-error';
import { checkSignature } from '../lib/signed-url';
import { apiKeyAuth } from '../middleware/api-key-auth';
import type { KeyRateLimit } from '../middleware/rate-limit';
import { hmget } from '../store/hash-reply';
import { keys } from '../store/keys';

const FILE = /^(\d{1,2})\.(png|webp|jpeg)$/;

/** Seconds a signed URL stays valid from now (its checked `expires`), at most an hour. */
function signedMaxAge(expires: string | undefined): number {
  return Math.max(0, Math.min(3600, Number(expires) - Math.floor(Date.now() / 1000)));
}

/**
 * GET /v1/outputs/{account}/{job}/{n}.{ext}: image bytes streamed from R2. Opened by a signed URL
 * (`expires` + `sig`, as Generation objects hand out) or by the owner's API key; any other
 * account gets the same 404 as a missing image.
 */
export function outputs(rateLimit: KeyRateLimit) {
  const keyAuth = apiKeyAuth({ rateLimit });
  return new Hono<AppEnv>().get('/:account/:job/:file', async (c) => {
    const { account, job, file } = c.req.param();
    const path = new URL(c.req.url).pathname;
    const sig = c.req.query('sig');
    const signed = sig !== undefined;
    if (signed) {
      const check = await checkSignature(
        c.get('config').urlSigningSecret,
        path,
        c.req.query('expires') ?? '',
        sig,
        Math.floor(Date.now() / 1000),
      );
      if (check === 'invalid') throw new ApiError('forbidden', 'The signature of this URL is not valid.');
      if (check === 'expired')
        throw new ApiError(
          'url_expired',
          'This signed URL has expired; fetch the generation again for a fresh one.',
        );
    } else {
      await keyAuth(c, async () => {});
      if (c.get('caller').accountId !== account) throw new ApiError('not_found', 'No such output.');
    }
    const match = FILE.exec(file);
    const [owner, stored] = match
      ? await hmget(c.get('redis'), keys.job(job), 'account_id', 'outputs')
      : [null, null];
    if (!match || owner !== account || !stored) throw new ApiError('not_found', 'No such output.');
    const output = (JSON.parse(stored) as { key: string; content_type: string }[])[Number(match[1])];
    if (!output || CONTENT_TYPES[match[2] as keyof typeof CONTENT_TYPES] !== output.content_type) {
      throw new ApiError('not_found', 'No such output.');
    }
    const object = await c.env.OUTPUTS.get(output.key);
    if (!object) throw new ApiError('not_found', 'The output is no longer stored.');
    const headers = new Headers({
      'Content-Type': output.content_type,
      'Content-Length': String(object.size),
      ETag: object.httpEtag,
      // Outputs never change once written, but a signed URL is a bearer credential: shared caches
      // (a CDN, a corporate proxy) must not keep the image for anyone else, and no cache may serve
      // it past the URL's own expiry (which may be revoked by rotating URL_SIGNING_SECRET).
      'Cache-Control': signed
        ? `private, max-age=${signedMaxAge(c.req.query('expires'))}, immutable`
        : 'private, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
    });
    if (c.req.header('if-none-match') === object.httpEtag) {
      object.body.cancel();
      return new Response(null, { status: 304, headers });
    }
    return new Response(object.body, { headers });
  });
}

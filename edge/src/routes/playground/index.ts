import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { pageHtml } from './page-html';
import { PAGE_SCRIPT } from './page-script';
import { PAGE_STYLE } from './page-style';

const PAGE = pageHtml(PAGE_STYLE, PAGE_SCRIPT);
/**
 * `npm start` prints `/#key=...` so the page opens signed in. Only the local stack's page takes a
 * key from the fragment: on a shared deployment such a link could sign a visitor in with someone
 * else's key (whose owner would then see their prompts and images). Locally a link from elsewhere
 * cannot hold a key that works on this machine's stack.
 */
const LOCAL_PAGE = PAGE.replace('<body>', '<body data-key-from-fragment>');

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

let policy: Promise<string> | undefined;

/**
 * Inline code is allowed by hash only, and the page may talk to this origin only: an injected
 * script or a look-alike form posting a key elsewhere would both be refused by the browser.
 */
export function contentSecurityPolicy(): Promise<string> {
  policy ??= Promise.all([sha256Base64(PAGE_SCRIPT), sha256Base64(PAGE_STYLE)]).then(
    ([script, style]) =>
      `default-src 'none'; script-src 'sha256-${script}'; style-src 'sha256-${style}'; ` +
      "img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  );
  return policy;
}

/** GET /: the browser playground, one self-contained page (no CDN, no framework). */
export const playground = new Hono<AppEnv>().get('/', async (c) => {
  c.header('Content-Security-Policy', await contentSecurityPolicy());
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cache-Control', 'no-cache');
  // c.var.config is set by the services middleware; a bare route (unit test) has none.
  return c.html((c.var.config as typeof c.var.config | undefined)?.mode === 'local' ? LOCAL_PAGE : PAGE);
});

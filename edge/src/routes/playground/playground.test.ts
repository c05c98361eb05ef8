import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../context';
import type { Config } from '../../env';
import { playground } from './index';
import { PAGE_SCRIPT } from './page-script';

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

// The page's behaviour is tested in a real browser (test/browser/playground.test.ts); this checks
// what the browser would refuse before running anything.
describe('GET / (playground)', () => {
  it('serves one self-contained page whose inline script and style the CSP allows by hash', async () => {
    const res = await playground.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const script = html.match(/<script>([\s\S]*)<\/script>/)?.[1] ?? '';
    const style = html.match(/<style>([\s\S]*)<\/style>/)?.[1] ?? '';
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`script-src 'sha256-${sha256(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${sha256(style)}'`);
    expect(csp).toContain("connect-src 'self'");
    // No external code or fonts: every src/href is local, a fragment or a data URL.
    const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.every((r) => r.startsWith('/') || r.startsWith('data:'))).toBe(true);
    expect(() => new Function(PAGE_SCRIPT)).not.toThrow();
  });

  it('labels every form control', async () => {
    const html = await (await playground.request('/')).text();
    const ids = [...html.matchAll(/<(?:input|select|textarea)[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect(html, id).toContain(`<label for="${id}"`);
  });

  it('takes a key from the URL fragment only on the local stack', async () => {
    const pageIn = async (mode: Config['mode']) => {
      const app = new Hono<AppEnv>()
        .use(async (c, next) => {
          c.set('config', { mode } as Config);
          await next();
        })
        .route('/', playground);
      const res = await app.request('/');
      return { html: await res.text(), csp: res.headers.get('content-security-policy') ?? '' };
    };
    const local = await pageIn('local');
    const production = await pageIn('production');
    expect(local.html).toContain('<body data-key-from-fragment>');
    expect(production.html).toContain('<body>');
    expect(production.html).not.toContain('<body data-key-from-fragment>');
    // Same script either way, so the one CSP hash covers both pages.
    expect(local.csp).toBe(production.csp);
  });
});

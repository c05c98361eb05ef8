import openapi from '@ldm/shared/openapi.json';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { type OpenApiDocument, renderDocs } from '../../docs/render-docs';

let docsHtml: string | undefined;

/** GET /openapi.json (the committed, generated document) and GET /docs (rendered from it, once per isolate). */
export const reference = new Hono<AppEnv>()
  .get('/openapi.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(openapi);
  })
  .get('/docs', (c) => {
    docsHtml ??= renderDocs(openapi as unknown as OpenApiDocument);
    c.header('Cache-Control', 'public, max-age=300');
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(docsHtml);
  });

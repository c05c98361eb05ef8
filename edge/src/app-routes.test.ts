import { API_ROUTES } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { createApp } from './app';

/** Pages the edge serves that are not API operations, so not in the OpenAPI document. */
const NOT_API = new Set(['GET /']); // the playground page

/**
 * `shared/src/api-routes.ts` is the table the OpenAPI document (and so the SDK and the docs) are
 * generated from; the Hono mounts are what the edge answers. They are written apart, so this
 * test keeps them equal: a route added to one and not the other fails here, naming it.
 */
describe('the routes the edge mounts are the routes the API documents', () => {
  // `.use()` middleware is registered with method ALL; every operation has a concrete method.
  // A route with per-route middleware is listed once per handler: hence the Set.
  const mounted = [
    ...new Set(
      createApp()
        .routes.filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    ),
  ].filter((r) => !NOT_API.has(r));
  const documented = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`);

  it('every mounted route is in API_ROUTES', () => {
    expect(mounted.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it('every route of API_ROUTES is mounted', () => {
    expect(documented.filter((r) => !mounted.includes(r))).toEqual([]);
  });

  it('documents each route once', () => {
    expect(new Set(documented).size).toBe(documented.length);
    expect(mounted.length).toBeGreaterThan(30);
  });
});

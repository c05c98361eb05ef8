import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from './api-routes';
import { ERROR_CODES } from './error-codes';
import { buildOpenApiDocument } from './openapi';

const committed = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));

describe('OpenAPI document', () => {
  it('is committed exactly as the generator writes it (run `npm run generate:openapi` when this fails)', () => {
    expect(committed).toEqual(buildOpenApiDocument());
  });

  it('is OpenAPI 3.1 and describes every route of the table with its error statuses', () => {
    expect(committed.openapi).toBe('3.1.0');
    for (const route of API_ROUTES) {
      const op = committed.paths[route.path]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      for (const code of route.errors) expect(op.responses[String(ERROR_CODES[code].status)]).toBeDefined();
    }
  });

  it('carries the request limits from the zod schemas', () => {
    const request = committed.components.schemas.GenerationRequest;
    expect(request.properties.num_outputs.maximum).toBe(4);
    expect(request.properties.steps.maximum).toBe(150);
    expect(request.properties.scheduler.enum).toContain('dpmpp_2m_karras');
    expect(request.required ?? []).not.toContain('task');
    const generation = committed.components.schemas.Generation;
    expect(generation.required).toEqual(expect.arrayContaining(['id', 'status', 'outputs', 'urls', 'usage']));
  });

  it('has no dangling schema references', () => {
    const text = JSON.stringify(committed);
    for (const m of text.matchAll(/#\/components\/schemas\/(\w+)/g)) {
      expect(committed.components.schemas[m[1]], m[1]).toBeDefined();
    }
  });
});

import { z } from 'zod';
import { API_ROUTES, type ApiRoute } from './api-routes';
import { ERROR_CODES } from './error-codes';
import './account';
import './compat/openai-images';
import './compat/replicate';
import './errors';
import './generation';
import './models';
import './webhooks';
import './worker-protocol';

type JsonObject = Record<string, unknown>;

const SECURITY: Record<ApiRoute['auth'], JsonObject[]> = {
  api_key: [{ apiKey: [] }],
  admin: [{ adminToken: [] }],
  worker: [{ workerToken: [] }],
  none: [],
  api_key_or_signature: [{ apiKey: [] }, {}],
  stripe_signature: [],
};

/** Schemas clients send are described as input (defaults optional); everything else as output. */
function componentSchemas(): Record<string, unknown> {
  const uri = (id: string) => `#/components/schemas/${id}`;
  const inputs = z.toJSONSchema(z.globalRegistry, { uri, io: 'input', unrepresentable: 'any' }).schemas;
  const outputs = z.toJSONSchema(z.globalRegistry, { uri, io: 'output', unrepresentable: 'any' }).schemas;
  const bodies = new Set(API_ROUTES.flatMap((r) => (r.body ? [r.body] : [])));
  const result: Record<string, unknown> = {};
  for (const id of Object.keys(outputs).sort()) {
    const { $schema: _drop, ...schema } = (bodies.has(id) ? inputs[id] : outputs[id]) as JsonObject;
    result[id] = schema;
  }
  return result;
}

function pathParameters(path: string): JsonObject[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

function operation(route: ApiRoute): JsonObject {
  const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
  const success: JsonObject = { description: 'Success' };
  if (route.response.schema) success.content = { 'application/json': { schema: ref(route.response.schema) } };
  if (route.response.mediaType) success.content = { [route.response.mediaType]: {} };
  const responses: JsonObject = { [String(route.response.status)]: success };
  for (const code of route.errors) {
    const status = String(ERROR_CODES[code].status);
    const existing = responses[status] as { description: string } | undefined;
    const description = existing ? `${existing.description}; \`${code}\`` : `\`${code}\``;
    responses[status] = {
      description,
      content: { 'application/json': { schema: ref(route.errorSchema ?? 'Error') } },
    };
  }
  const parameters = [
    ...pathParameters(route.path),
    ...Object.entries(route.query ?? {}).map(([name, q]) => ({
      name,
      in: 'query',
      required: false,
      description: q.description,
      schema: { type: q.type },
    })),
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: SECURITY[route.auth],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { [route.bodyMediaType ?? 'application/json']: { schema: ref(route.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the whole API, derived only from the shared contract. */
export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of API_ROUTES) {
    paths[route.path] ??= {};
    paths[route.path][route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'LDM Platform API',
      version: '1.0.0',
      description:
        'Image generation on Latent Diffusion Models. Errors are `{"error": {"code", "message", "request_id", "details?"}}`; codes: ' +
        Object.entries(ERROR_CODES)
          .map(([code, e]) => `\`${code}\` (${e.status})`)
          .join(', ') +
        '.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            "`ldm_live_...` or `ldm_test_...`. Test keys generate for free (no credits, no billed usage) up to the account's daily test quota, and their generations say `livemode: false`; the result cache is per account and per mode.",
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN secret' },
        workerToken: { type: 'http', scheme: 'bearer', description: 'WORKER_TOKEN secret' },
      },
      schemas: componentSchemas(),
    },
    paths,
  };
}

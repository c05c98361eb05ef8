import { type ModelInfo, ReplicateInput } from '@ldm/shared';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { requestOrigin } from '../../generations/load-generation';
import { modelByName, modelRef } from './model-ref';

/** The model's input schema with its own limits (sizes, steps) written in. */
function inputSchema(model: ModelInfo): Record<string, unknown> {
  // A registered schema comes back as a $ref into $defs: the definition itself is wanted here.
  const document = z.toJSONSchema(ReplicateInput, { io: 'input', unrepresentable: 'any' }) as {
    $defs?: Record<string, Record<string, unknown>>;
  } & Record<string, unknown>;
  const schema = document.$defs?.ReplicateInput ?? document;
  const properties = { ...(schema.properties as Record<string, Record<string, unknown>>) };
  for (const side of ['width', 'height'] as const) {
    properties[side] = {
      ...properties[side],
      minimum: model.min_size,
      maximum: model.max_size,
      multipleOf: 8,
      default: side === 'width' ? model.native_width : model.native_height,
    };
  }
  properties.num_inference_steps = {
    ...properties.num_inference_steps,
    maximum: model.max_steps,
    default: model.default_steps,
  };
  properties.guidance_scale = { ...properties.guidance_scale, default: model.default_guidance_scale };
  properties.scheduler = { type: 'string', enum: model.schedulers, default: model.default_scheduler };
  return { ...schema, title: 'Input', properties };
}

function versionObject(model: ModelInfo) {
  return {
    id: model.version,
    created_at: null,
    cog_version: null,
    openapi_schema: {
      openapi: '3.1.0',
      info: { title: model.name, version: model.version },
      components: {
        schemas: {
          Input: inputSchema(model),
          Output: { type: 'array', items: { type: 'string', format: 'uri' }, title: 'Output' },
        },
      },
    },
  };
}

function modelObject(c: Context<AppEnv>, model: ModelInfo) {
  const [owner, name] = modelRef(c, model).split('/');
  return {
    url: `${requestOrigin(c)}/replicate/v1/models/${owner}/${name}`,
    owner,
    name,
    description: model.description,
    visibility: 'public',
    run_count: 0,
    latest_version: versionObject(model),
  };
}

/** GET /models/{owner}/{name}, GET /models/{owner}/{name}/versions[/{id}]. */
export const replicateModels = new Hono<AppEnv>()
  .get('/models/:owner/:name', (c) =>
    c.json(modelObject(c, modelByName(c, c.req.param('owner'), c.req.param('name')))),
  )
  .get('/models/:owner/:name/versions', (c) => {
    const model = modelByName(c, c.req.param('owner'), c.req.param('name'));
    return c.json({ previous: null, next: null, results: [versionObject(model)] });
  })
  .get('/models/:owner/:name/versions/:id', (c) => {
    const model = modelByName(c, c.req.param('owner'), c.req.param('name'));
    if (c.req.param('id') !== model.version) {
      throw new ApiError('not_found', `No version ${c.req.param('id')} of ${modelRef(c, model)}.`);
    }
    return c.json(versionObject(model));
  });

import { ModelExportReport, type WorkerCatalog } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { parseJsonBody } from '../../lib/json-body';
import { recordModelExport } from '../../store/scripts/record-model-export';

/**
 * GET /models: the catalog's names and versions. A worker checks its model folders against it at
 * start and serves only the known ones, so one stray folder no longer makes every lease call fail.
 *
 * PUT /models/{name}/export: what a worker read from a served model's export (its scheduler
 * class and whether it runs as itself), shown by GET /v1/models. Only catalog models: a name
 * outside it is a 404 and writes nothing, so the reports stay one small record per catalog model.
 */
export const modelsRoute = new Hono<AppEnv>()
  .get('/', (c) => {
    const body: WorkerCatalog = {
      models: [...c.get('config').models.values()].map((m) => ({ name: m.name, version: m.version })),
    };
    return c.json(body);
  })
  .put('/:name/export', async (c) => {
    const name = c.req.param('name');
    if (!c.get('config').models.has(name)) {
      throw new ApiError('not_found', `No model ${JSON.stringify(name.slice(0, 80))} in the catalog.`);
    }
    const { data } = await parseJsonBody(c, ModelExportReport);
    return c.json(await recordModelExport(c.get('redis'), name, data, new Date()));
  });

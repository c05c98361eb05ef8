import type { WorkerCatalog } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';

/**
 * GET /models: the catalog's names and versions. A worker checks its model folders against it at
 * start and serves only the known ones, so one stray folder no longer makes every lease call fail.
 */
export const modelsRoute = new Hono<AppEnv>().get('/', (c) => {
  const body: WorkerCatalog = {
    models: [...c.get('config').models.values()].map((m) => ({ name: m.name, version: m.version })),
  };
  return c.json(body);
});

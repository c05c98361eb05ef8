import type { ListedModel, ModelExport } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { readModelExports } from '../../store/model-exports';

/**
 * The model catalog: tasks, sizes, schedulers, prices, and what workers read from each export
 * (one pipelined Redis request for the whole list). Public, and cacheable for a minute. The
 * catalog needs no Redis: while Redis is unreachable it is still served, every `export` null
 * and not cached, so the reports come back as soon as Redis does.
 */
export const models = new Hono<AppEnv>().get('/', async (c) => {
  const catalog = [...c.get('config').models.values()];
  let exports: Map<string, ModelExport | null> | undefined;
  try {
    exports = await readModelExports(
      c.get('redis'),
      catalog.map((m) => m.name),
    );
  } catch (error) {
    console.error(`[${c.get('requestId')}] models: export reports unreadable: ${(error as Error).message}`);
  }
  c.header('Cache-Control', exports ? 'public, max-age=60' : 'no-store');
  const data: ListedModel[] = catalog.map((m) => ({ ...m, export: exports?.get(m.name) ?? null }));
  return c.json({ data });
});

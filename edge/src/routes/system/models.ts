import { Hono } from 'hono';
import type { AppEnv } from '../../context';

/** The model catalog: tasks, sizes, schedulers, prices. Public, and cacheable for a minute. */
export const models = new Hono<AppEnv>().get('/', (c) => {
  c.header('Cache-Control', 'public, max-age=60');
  return c.json({ data: [...c.get('config').models.values()] });
});

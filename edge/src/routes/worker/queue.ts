import type { QueueStats } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { readQueueStats } from '../../store/scripts/queue-stats';

/**
 * GET /queue: per model, jobs waiting, leased and the oldest wait; desired_workers (waiting +
 * leased) is what KEDA's metrics-api scaler targets. Catalog models without a queue yet show zeros,
 * so a scaler pointed at one never sees it missing.
 */
export const queueRoute = new Hono<AppEnv>().get('/', async (c) => {
  const measured = new Map((await readQueueStats(c.get('redis'))).map((s) => [s.model, s]));
  const names = [...new Set([...c.get('config').models.keys(), ...measured.keys()])].sort();
  const models = names.map(
    (model) => measured.get(model) ?? { model, depth: 0, leased: 0, oldest_age_ms: 0 },
  );
  const totalDepth = models.reduce((sum, m) => sum + m.depth, 0);
  const totalLeased = models.reduce((sum, m) => sum + m.leased, 0);
  const body: QueueStats = {
    models: models.map(({ model, depth, oldest_age_ms, leased }) => ({
      model,
      depth,
      oldest_age_ms,
      leased,
    })),
    total_depth: totalDepth,
    total_leased: totalLeased,
    desired_workers: totalDepth + totalLeased,
  };
  return c.json(body);
});

import type { QueueStats } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { readQueueStats } from '../../store/scripts/queue-stats';

/**
 * GET /queue: per model, jobs waiting, leased and the oldest wait; desired_workers is what KEDA's
 * metrics-api scaler targets. Catalog models without a queue yet show zeros, so a scaler pointed
 * at one never sees it missing.
 *
 * Only served models count in desired_workers: those a worker asked to lease within the window
 * (lease calls record it). A job for a model no worker serves (a default model whose weights the
 * GPU image lacks, say) would otherwise keep a GPU pod up forever; it ends at the queue timeout
 * (`no_capacity`). While no worker asked for any model within the window, every model counts: a
 * fresh deploy or a pool idle that long must still wake, and its first lease call says what it serves.
 */
export const queueRoute = new Hono<AppEnv>().get('/', async (c) => {
  const config = c.get('config');
  const snapshot = await readQueueStats(c.get('redis'));
  const measured = new Map(snapshot.models.map((s) => [s.model, s]));
  const names = [...new Set([...config.models.keys(), ...measured.keys()])].sort();
  const since = snapshot.now - config.modelSeenWindowMs;
  const anyServed = snapshot.latestSeen !== null && snapshot.latestSeen >= since;
  const models = names.map((model) => {
    const stats = measured.get(model) ?? { model, depth: 0, leased: 0, oldest_age_ms: 0 };
    const served = !anyServed || (stats.seen_at !== undefined && stats.seen_at >= since);
    return { model, depth: stats.depth, oldest_age_ms: stats.oldest_age_ms, leased: stats.leased, served };
  });
  const sum = (pick: (m: (typeof models)[number]) => number) =>
    models.reduce((total, m) => total + pick(m), 0);
  const body: QueueStats = {
    models,
    total_depth: sum((m) => m.depth),
    total_leased: sum((m) => m.leased),
    desired_workers: sum((m) => (m.served ? m.depth + m.leased : 0)),
  };
  return c.json(body);
});

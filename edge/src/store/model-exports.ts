import { type ModelExport, SCHEDULERS } from '@ldm/shared';
import type { Redis } from '@upstash/redis/cloudflare';
import { hashFromReply } from './hash-reply';
import { keys } from './keys';
import { readTogether } from './read-together';

/**
 * What workers last reported of each model's export (record-model-export.lua), read in one
 * REST request for the whole catalog. A model no worker has reported (or whose record is
 * unreadable) maps to null.
 */
export async function readModelExports(
  redis: Redis,
  models: readonly string[],
): Promise<Map<string, ModelExport | null>> {
  const replies = await readTogether(
    redis,
    models.map((model) => (p) => p.hgetall(keys.modelExport(model))),
  );
  return new Map(models.map((model, i) => [model, exportOf(hashFromReply(replies[i]))]));
}

function exportOf(fields: Record<string, string> | null): ModelExport | null {
  if (!fields?.reported_at || !fields.default_scheduler) return null;
  const scheduler = fields.default_scheduler as ModelExport['default_scheduler'];
  // A report from a worker of another build may name a scheduler this edge does not know.
  if (!SCHEDULERS.includes(scheduler)) return null;
  return {
    scheduler_class: fields.scheduler_class ? fields.scheduler_class : null,
    scheduler_class_supported: fields.scheduler_class_supported === '1',
    default_scheduler: scheduler,
    reported_at: fields.reported_at,
  };
}

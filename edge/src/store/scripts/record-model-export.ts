import type { ModelExport, ModelExportReport } from '@ldm/shared';
import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const RECORD_MODEL_EXPORT: LuaScript = SCRIPTS['record-model-export'];

/** How long a report is shown without a newer one: a worker reports at each start. */
export const MODEL_EXPORT_TTL_MS = 30 * 24 * 3600 * 1000;

/** Stores a worker's report on a catalog model's export (the caller checked the name), replacing the last. */
export async function recordModelExport(
  redis: ScriptRedis,
  model: string,
  report: ModelExportReport,
  now: Date,
): Promise<ModelExport> {
  const recorded: ModelExport = { ...report, reported_at: now.toISOString() };
  await runScript(
    redis,
    RECORD_MODEL_EXPORT,
    [keys.modelExport(model)],
    [
      recorded.scheduler_class ?? '',
      recorded.scheduler_class_supported ? '1' : '0',
      recorded.default_scheduler,
      recorded.reported_at,
      String(MODEL_EXPORT_TTL_MS),
    ],
  );
  return recorded;
}

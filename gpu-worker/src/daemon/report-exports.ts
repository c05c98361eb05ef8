import type { ModelExportReport } from '@ldm/shared';
import type { EdgeClient } from './edge-client';
import type { Logger } from './logger';
import type { OpsModelInfo } from './ops-server';

/**
 * Tells the edge what this worker read from each served export (its scheduler class and whether
 * it runs as itself), so GET /v1/models shows users a class the project does not implement
 * rather than leaving them to find out from the images. A report the edge refuses or never
 * answers is logged and skipped: serving goes on without it.
 */
export async function reportModelExports(
  client: Pick<EdgeClient, 'reportModelExport'>,
  models: readonly OpsModelInfo[],
  log: Logger,
  signal?: AbortSignal,
): Promise<{ reported: string[]; failed: string[] }> {
  const reported: string[] = [];
  const failed: string[] = [];
  for (const model of models) {
    const report: ModelExportReport = {
      scheduler_class: model.scheduler_class,
      scheduler_class_supported: model.scheduler_class_supported,
      default_scheduler: model.default_scheduler as ModelExportReport['default_scheduler'],
    };
    try {
      await client.reportModelExport(model.name, report, signal);
      reported.push(model.name);
    } catch (error) {
      if (signal?.aborted) throw error;
      failed.push(model.name);
      log.warn('export report not taken by the edge: GET /v1/models will not show it', {
        model: model.name,
        error: (error as Error).message,
      });
    }
  }
  return { reported, failed };
}

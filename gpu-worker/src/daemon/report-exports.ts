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

/** Every day: well inside the edge's 30-day keep, so a worker that runs for months stays listed. */
export const EXPORT_REPORT_INTERVAL_MS = 24 * 3600 * 1000;

/**
 * Reports now, then again every `intervalMs` for as long as the worker runs (the edge keeps a
 * report 30 days). The timer never keeps the process alive; the returned function stops it.
 */
export async function keepReportingModelExports(
  client: Pick<EdgeClient, 'reportModelExport'>,
  models: readonly OpsModelInfo[],
  log: Logger,
  intervalMs = EXPORT_REPORT_INTERVAL_MS,
): Promise<() => void> {
  await reportModelExports(client, models, log);
  let running = false;
  const timer = setInterval(() => {
    // A report still retrying when the next is due is not doubled.
    if (running) return;
    running = true;
    reportModelExports(client, models, log).finally(() => {
      running = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

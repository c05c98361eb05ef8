/**
 * The GPU worker daemon: `tsx gpu-worker/src/main.ts` (or `npm run worker`), configured from the
 * environment (see daemon/config.ts and infra/README.md).
 */

import { checkAgainstCatalog } from './daemon/catalog-check';
import { ConfigError, loadWorkerConfig } from './daemon/config';
import { EdgeClient } from './daemon/edge-client';
import { EdgeRequestError } from './daemon/edge-errors';
import { createLogger } from './daemon/logger';
import { createWorkerMetrics } from './daemon/metrics';
import { discoverModels, ModelRegistry } from './daemon/model-registry';
import { startOpsServer } from './daemon/ops-server';
import { keepReportingModelExports } from './daemon/report-exports';
import { Spool } from './daemon/spool';
import { WorkerDaemon } from './daemon/worker-daemon';
import {
  type ProviderSelection,
  ProviderUnavailableError,
  probeProvider,
  selectProvider,
} from './model/providers';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadWorkerConfig>;
  try {
    config = loadWorkerConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel, base: { worker_id: config.workerId } });
  const metrics = createWorkerMetrics();
  const client = new EdgeClient({
    baseUrl: config.edgeUrl,
    token: config.workerToken,
    log,
    retryMaxDelayMs: config.retryMaxDelayMs,
    onFailure: (call) => metrics.edgeErrors.inc({ call }),
  });

  let daemon: WorkerDaemon | undefined;
  let registry: ModelRegistry | undefined;
  let stopping: Promise<void> | undefined;
  let stopExportReports: (() => void) | undefined;
  let provider: ProviderSelection | undefined;
  // Until the daemon runs there is nothing in hand: a drain request is simply "stop".
  const drain = () => daemon?.drain() ?? Promise.resolve();
  const ops = await startOpsServer({
    host: config.metricsHost,
    port: config.metricsPort,
    metrics,
    log,
    edgeStaleMs: Math.max(60_000, 2 * config.leaseWaitMs + 15_000),
    drainToken: config.workerToken,
    // Kubernetes' preStop drain: once it is over there is nothing left to wait for.
    onHttpDrained: () => stop('drain over HTTP'),
    status: {
      provider: () => provider,
      edgeRefusal: () => client.refusal,
      modelsReady: () => daemon !== undefined,
      lastEdgeContact: () => client.lastContactAt,
      draining: () => daemon === undefined || daemon.state !== 'running',
      drain,
      models: () => registry?.info() ?? [],
    },
  });
  log.info('worker starting', {
    edge_url: config.edgeUrl,
    ops_url: ops.url,
    provider_requested: config.provider,
    require_gpu: config.requireGpu,
    deterministic: config.deterministic,
    concurrency: config.concurrency,
    max_batch: config.maxBatch,
    drain_grace_ms: config.drainGraceMs,
    spool_dir: config.spoolDir,
  });

  const stop = (signal: string) => {
    stopping ??= (async () => {
      log.info('signal received, draining', { signal });
      stopExportReports?.();
      await drain();
      await ops.close();
      log.info('worker stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    provider = await selectProvider(config.provider, (p) => probeProvider(p, config.cudaDeviceId), {
      requireGpu: config.requireGpu,
    });
  } catch (error) {
    if (!(error instanceof ProviderUnavailableError)) throw error;
    // Exit non-zero: a GPU pod whose provider does not start must be restarted or rescheduled, not run on its CPU.
    log.error('execution provider unavailable', { error: error.message });
    await ops.close();
    process.exit(3);
  }
  for (const fallback of provider.fallbacks) {
    log.warn('execution provider unavailable, trying the next', {
      provider: fallback.provider,
      reason: fallback.reason,
    });
  }
  metrics.providerSelection.set(
    {
      requested: provider.requested,
      provider: provider.provider,
      device: provider.device ?? '',
      fell_back_from: provider.fallbacks.map((f) => f.provider).join(','),
    },
    1,
  );

  let catalog: Awaited<ReturnType<EdgeClient['catalog']>>;
  try {
    catalog = await client.catalog();
  } catch (error) {
    if (!(error instanceof EdgeRequestError)) throw error;
    // A 4xx is not retried (401/403: a wrong WORKER_TOKEN): a distinct exit instead of a crash, so
    // the restart loop names its cause. The status and code only: never the token.
    log.error('edge refused this worker', { status: error.status, code: error.code, path: error.path });
    await ops.close();
    process.exit(5);
  }
  // Only the folders the edge's catalog knows: the edge refuses a lease naming an unknown model.
  const { served, unknown } = checkAgainstCatalog(
    discoverModels(config.modelsRoot, config.modelDirs),
    catalog,
  );
  for (const [name, dir] of Object.entries(unknown)) {
    log.warn("model folder not in the edge's catalog: not served", { model: name, dir });
  }
  if (Object.keys(served).length === 0) {
    log.error("none of this worker's model folders is in the edge's catalog", {
      folders: Object.keys(unknown),
    });
    await ops.close();
    process.exit(4);
  }
  if (stopping) return;

  const models = await ModelRegistry.load({
    modelDirs: served,
    provider: provider.provider,
    deviceId: config.cudaDeviceId,
    webgpuLayout: config.webgpuLayout,
    threads: config.intraOpThreads,
    deterministic: config.deterministic,
    safetyChecker: config.safetyChecker,
    log,
  });
  registry = models;
  for (const [name, pipeline] of models.pipelines)
    metrics.provider.set({ model: name, provider: pipeline.info.provider }, 1);
  if (stopping) return;
  daemon = new WorkerDaemon({ config, client, models, spool: new Spool(config.spoolDir), metrics, log });
  await daemon.start();
  // What each export turned out to be (an unimplemented scheduler class above all), for /v1/models;
  // after start, so a slow edge answer never delays leasing.
  stopExportReports = await keepReportingModelExports(client, models.info(), log);
  if (stopping) stopExportReports();
  log.info('worker ready', {
    models: models.names,
    provider: provider.provider,
    provider_requested: provider.requested,
    ...(provider.device ? { device: provider.device } : {}),
    fallbacks: provider.fallbacks,
  });
}

main().catch((error) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: 'worker crashed', error: String(error?.stack ?? error) })}\n`,
  );
  process.exit(1);
});

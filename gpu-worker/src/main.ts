/**
 * The GPU worker daemon: `tsx gpu-worker/src/main.ts` (or `npm run worker`), configured from the
 * environment (see daemon/config.ts and infra/README.md).
 */
import { ConfigError, loadWorkerConfig } from './daemon/config';
import { EdgeClient } from './daemon/edge-client';
import { createLogger } from './daemon/logger';
import { createWorkerMetrics } from './daemon/metrics';
import { ModelRegistry } from './daemon/model-registry';
import { startOpsServer } from './daemon/ops-server';
import { Spool } from './daemon/spool';
import { WorkerDaemon } from './daemon/worker-daemon';

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
  // Until the daemon runs there is nothing in hand: a drain request is simply "stop".
  const drain = () => daemon?.drain() ?? Promise.resolve();
  const ops = await startOpsServer({
    host: config.metricsHost,
    port: config.metricsPort,
    metrics,
    log,
    edgeStaleMs: Math.max(60_000, 2 * config.leaseWaitMs + 15_000),
    status: {
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
    provider_requested: config.executionProvider,
    concurrency: config.concurrency,
    max_batch: config.maxBatch,
    drain_grace_ms: config.drainGraceMs,
    spool_dir: config.spoolDir,
  });

  const stop = (signal: string) => {
    stopping ??= (async () => {
      log.info('signal received, draining', { signal });
      await drain();
      await ops.close();
      log.info('worker stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const models = await ModelRegistry.load({
    modelDirs: config.modelDirs,
    modelsRoot: config.modelsRoot,
    provider: config.executionProvider,
    deviceId: config.cudaDeviceId,
    threads: config.intraOpThreads,
    log,
  });
  registry = models;
  for (const [name, pipeline] of models.pipelines)
    metrics.provider.set({ model: name, provider: pipeline.info.provider }, 1);
  if (stopping) return;
  daemon = new WorkerDaemon({ config, client, models, spool: new Spool(config.spoolDir), metrics, log });
  await daemon.start();
  log.info('worker ready', { models: models.names });
}

main().catch((error) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: 'worker crashed', error: String(error?.stack ?? error) })}\n`,
  );
  process.exit(1);
});

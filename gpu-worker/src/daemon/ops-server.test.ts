import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { createLogger } from './logger';
import { createWorkerMetrics } from './metrics';
import { ModelRegistry } from './model-registry';
import { OPS_PATHS } from './ops-paths';
import { type OpsModelInfo, type OpsServer, startOpsServer } from './ops-server';

const servers: OpsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(state: {
  models: boolean;
  contact: number;
  draining: boolean;
  drain?: () => Promise<void>;
  modelsInfo?: () => OpsModelInfo[];
}) {
  const metrics = createWorkerMetrics();
  const server = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    log: createLogger({ write: () => {} }),
    edgeStaleMs: 60_000,
    status: {
      modelsReady: () => state.models,
      lastEdgeContact: () => state.contact,
      draining: () => state.draining,
      drain: state.drain ?? (async () => {}),
      models: state.modelsInfo,
    },
  });
  servers.push(server);
  return { server, metrics };
}

describe('ops server', () => {
  it('is ready only with models loaded, a recent edge answer and no drain under way', async () => {
    const state = { models: false, contact: 0, draining: false };
    const { server } = await start(state);
    const ready = async () => {
      const res = await fetch(`${server.url}${OPS_PATHS.ready}`);
      return { status: res.status, body: (await res.json()) as { checks: Record<string, boolean> } };
    };
    expect((await ready()).body.checks).toEqual({
      models_loaded: false,
      edge_reachable: false,
      accepting_work: true,
    });
    state.models = true;
    state.contact = Date.now() - 120_000;
    expect((await ready()).status).toBe(503);
    state.contact = Date.now();
    expect((await ready()).status).toBe(200);
    state.draining = true;
    expect((await ready()).status).toBe(503);
    // Alive throughout: liveness must not restart a pod that is merely draining or waiting for the edge.
    expect((await fetch(`${server.url}${OPS_PATHS.health}`)).status).toBe(200);
  });

  it('serves the Prometheus registry', async () => {
    const { server, metrics } = await start({ models: true, contact: Date.now(), draining: false });
    metrics.jobs.inc({ model: 'm', outcome: 'succeeded', code: '' });
    metrics.provider.set({ model: 'm', provider: 'cpu' }, 1);
    const res = await fetch(`${server.url}${OPS_PATHS.metrics}`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('ldm_worker_jobs_total{model="m",outcome="succeeded",code=""} 1');
    expect(text).toContain('ldm_worker_execution_provider{model="m",provider="cpu"} 1');
    expect(text).toMatch(/^ldm_worker_process_resident_memory_bytes \d+/m);
  });

  it('answers /drain only once the drain is over', async () => {
    let finish = () => {};
    let drains = 0;
    const { server } = await start({
      models: true,
      contact: Date.now(),
      draining: false,
      drain: () => {
        drains++;
        return new Promise<void>((r) => {
          finish = r;
        });
      },
    });
    let answered = false;
    const call = fetch(`${server.url}${OPS_PATHS.drain}`).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect([drains, answered]).toEqual([1, false]);
    finish();
    expect((await call).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}${OPS_PATHS.drain}`, { method: 'POST' })).status).toBe(405);
  });

  it('/models says which scheduler class each export names and whether the worker has it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ldm-ops-models-'));
    try {
      const sd = await writeTinyModel(join(root, 'sd'));
      const ddpm = join(root, 'ddpm');
      await cp(sd, ddpm, { recursive: true });
      const file = join(ddpm, 'scheduler', 'scheduler_config.json');
      const config = JSON.parse(await readFile(file, 'utf8'));
      await writeFile(file, JSON.stringify({ ...config, _class_name: 'DDPMScheduler' }));
      const lines: string[] = [];
      const log = createLogger({ write: (line) => lines.push(line) });
      const registry = await ModelRegistry.load({
        modelDirs: { sd, ddpm },
        provider: 'cpu',
        deviceId: 0,
        log,
      });
      try {
        const { server } = await start({
          models: true,
          contact: Date.now(),
          draining: false,
          modelsInfo: () => registry.info(),
        });
        const body = (await (await fetch(`${server.url}${OPS_PATHS.models}`)).json()) as {
          data: OpsModelInfo[];
        };
        expect(body.data).toEqual([
          expect.objectContaining({
            name: 'sd',
            scheduler_class: 'PNDMScheduler',
            scheduler_class_supported: true,
            default_scheduler: 'pndm',
          }),
          expect.objectContaining({
            name: 'ddpm',
            scheduler_class: 'DDPMScheduler',
            scheduler_class_supported: false,
            default_scheduler: 'ddim',
          }),
        ]);
        // And the worker's log says so at warn level when it loads the model.
        const warning = lines
          .map((l) => JSON.parse(l))
          .find((l) => l.msg.includes('DDPMScheduler is not implemented'));
        expect(warning).toMatchObject({ level: 'warn', model: 'ddpm' });
      } finally {
        await registry.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { createLogger } from './logger';
import { createWorkerMetrics } from './metrics';
import { ModelRegistry } from './model-registry';
import { OPS_PATHS } from './ops-paths';
import { drainAllowed, type OpsModelInfo, type OpsServer, startOpsServer } from './ops-server';

const servers: OpsServer[] = [];
const DRAIN_TOKEN = 'worker-token-0123456789';
const withToken = { authorization: `Bearer ${DRAIN_TOKEN}` };
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(state: {
  models: boolean;
  contact: number;
  draining: boolean;
  drain?: () => Promise<void>;
  refusal?: string;
  onHttpDrained?: () => void;
  modelsInfo?: () => OpsModelInfo[];
}) {
  const metrics = createWorkerMetrics();
  const server = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    log: createLogger({ write: () => {} }),
    edgeStaleMs: 60_000,
    drainToken: DRAIN_TOKEN,
    onHttpDrained: state.onHttpDrained,
    status: {
      provider: () => ({
        requested: 'auto',
        provider: 'cpu',
        fallbacks: [{ provider: 'webgpu', reason: 'Failed to get a WebGPU adapter: No supported adapters' }],
      }),
      edgeRefusal: () => state.refusal,
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
    const state: { models: boolean; contact: number; draining: boolean; refusal?: string } = {
      models: false,
      contact: 0,
      draining: false,
    };
    const { server } = await start(state);
    const ready = async () => {
      const res = await fetch(`${server.url}${OPS_PATHS.ready}`);
      return { status: res.status, body: (await res.json()) as { checks: Record<string, boolean> } };
    };
    expect((await ready()).body.checks).toEqual({
      models_loaded: false,
      edge_reachable: false,
      edge_accepts_worker: true,
      accepting_work: true,
    });
    state.models = true;
    state.contact = Date.now() - 120_000;
    expect((await ready()).status).toBe(503);
    state.contact = Date.now();
    expect((await ready()).status).toBe(200);
    // A 401 or a refused lease is an answer from the edge, but not one a ready worker gets.
    state.refusal = 'edge answered 401 unauthorized';
    const refused = await ready();
    expect([refused.status, refused.body.checks.edge_accepts_worker]).toEqual([503, false]);
    state.refusal = undefined;
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
    // From loopback without the token (a browser's no-cors POST, a sidecar proxy): refused.
    expect((await fetch(`${server.url}${OPS_PATHS.drain}`, { method: 'POST' })).status).toBe(403);
    expect(drains).toBe(0);
    let answered = false;
    const call = fetch(`${server.url}${OPS_PATHS.drain}`, { method: 'POST', headers: withToken }).then(
      (r) => {
        answered = true;
        return r;
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    expect([drains, answered]).toEqual([1, false]);
    finish();
    expect((await call).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    // GET no longer drains: a crawler or a stray link must not park a GPU pod.
    expect((await fetch(`${server.url}${OPS_PATHS.drain}`)).status).toBe(405);
    expect(drains).toBe(1);
  });

  it('tells the process to exit once an HTTP-started drain is over', async () => {
    let exited = 0;
    const { server } = await start({
      models: true,
      contact: Date.now(),
      draining: false,
      onHttpDrained: () => exited++,
    });
    expect(exited).toBe(0);
    expect(
      (await fetch(`${server.url}${OPS_PATHS.drain}`, { method: 'POST', headers: withToken })).status,
    ).toBe(200);
    expect(exited).toBe(1);
  });

  it('waits for the models in /startupz and names the provider and its fallbacks in /healthz', async () => {
    const state = { models: false, contact: 0, draining: false };
    const { server } = await start(state);
    expect((await fetch(`${server.url}${OPS_PATHS.startup}`)).status).toBe(503);
    const health = await fetch(`${server.url}${OPS_PATHS.health}`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      provider: {
        requested: 'auto',
        provider: 'cpu',
        fallbacks: [{ provider: 'webgpu', reason: 'Failed to get a WebGPU adapter: No supported adapters' }],
      },
    });
    state.models = true;
    expect((await fetch(`${server.url}${OPS_PATHS.startup}`)).status).toBe(200);
  });
});

describe('who may drain', () => {
  const req = (remoteAddress: string, authorization?: string) =>
    ({
      socket: { remoteAddress },
      headers: authorization ? { authorization } : {},
    }) as unknown as IncomingMessage;
  const token = 'worker-token-0123456789';

  it('asks loopback callers for the worker token too (a browser or sidecar proxy on the node)', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(drainAllowed(req(address), token)).toBe(false);
      expect(drainAllowed(req(address, 'Bearer wrong'), token)).toBe(false);
      expect(drainAllowed(req(address, `Bearer ${token}`), token)).toBe(true);
      expect(drainAllowed(req(address, `Bearer ${token}`), undefined)).toBe(false);
    }
  });

  it('asks anyone else for the worker token', () => {
    expect(drainAllowed(req('10.1.2.3'), token)).toBe(false);
    expect(drainAllowed(req('10.1.2.3', 'Bearer wrong'), token)).toBe(false);
    expect(drainAllowed(req('10.1.2.3', `Basic ${token}`), token)).toBe(false);
    expect(drainAllowed(req('10.1.2.3', `Bearer ${token}`), token)).toBe(true);
    expect(drainAllowed(req('10.1.2.3', 'Bearer '), undefined)).toBe(false);
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

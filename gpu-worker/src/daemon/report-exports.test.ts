/// <reference types="node" />
import { type EdgeStack, startEdgeStack } from '@ldm/test/support/edge-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeClient } from './edge-client';
import { createLogger } from './logger';
import type { OpsModelInfo } from './ops-server';
import { keepReportingModelExports, reportModelExports } from './report-exports';

// The real edge (workerd + Redis through the Upstash bridge): the report goes over the worker
// protocol exactly as the daemon sends it, and GET /v1/models shows what the edge kept.
let stack: EdgeStack;
const exportKey = 'model:demo-shapes:export';
beforeAll(async () => {
  stack = await startEdgeStack();
});
afterAll(async () => {
  await stack?.stop();
});

const loaded = (name: string, overrides: Partial<OpsModelInfo> = {}): OpsModelInfo => ({
  name,
  tasks: ['txt2img'],
  native_width: 64,
  native_height: 64,
  default_scheduler: 'ddim',
  scheduler_class: 'FlowMatchEulerDiscreteScheduler',
  scheduler_class_supported: false,
  ...overrides,
});

describe('reportModelExports', () => {
  it('reports each served export; a model the edge refuses is logged and the rest still go', async () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    const client = new EdgeClient({
      baseUrl: stack.baseUrl,
      token: stack.workerToken,
      log,
      retryMaxDelayMs: 50,
    });

    const outcome = await reportModelExports(
      client,
      [loaded('gone-from-catalog'), loaded('demo-shapes')],
      log,
    );

    expect(outcome).toEqual({ reported: ['demo-shapes'], failed: ['gone-from-catalog'] });
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.model === 'gone-from-catalog');
    expect(warning).toMatchObject({ level: 'warn', msg: expect.stringContaining('export report') });
    const res = await stack.fetch('/v1/models');
    const { data } = (await res.json()) as { data: { name: string; export: unknown }[] };
    expect(data.find((m) => m.name === 'demo-shapes')?.export).toMatchObject({
      scheduler_class: 'FlowMatchEulerDiscreteScheduler',
      scheduler_class_supported: false,
      default_scheduler: 'ddim',
    });
  });

  it('gives up on an edge that does not answer, without throwing', async () => {
    const log = createLogger({ write: () => {} });
    const client = new EdgeClient({
      baseUrl: 'http://127.0.0.1:9',
      token: 'wrk_x',
      log,
      retryMaxDelayMs: 20,
    });
    expect(await reportModelExports(client, [loaded('demo-shapes')], log)).toEqual({
      reported: [],
      failed: ['demo-shapes'],
    });
  });
});

describe('keepReportingModelExports', () => {
  it('reports again on its interval (the edge keeps a report 30 days) until stopped', async () => {
    const log = createLogger({ write: () => {} });
    const client = new EdgeClient({
      baseUrl: stack.baseUrl,
      token: stack.workerToken,
      log,
      retryMaxDelayMs: 50,
    });
    await stack.redis.del(exportKey);
    const stop = await keepReportingModelExports(client, [loaded('demo-shapes')], log, 100);
    expect(await stack.redis.exists(exportKey)).toBe(1);

    await stack.redis.del(exportKey);
    const deadline = Date.now() + 10_000;
    while ((await stack.redis.exists(exportKey)) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await stack.redis.exists(exportKey)).toBe(1);

    stop();
    // A report already in flight when stopped may still land: let it, then clear and watch.
    await new Promise((r) => setTimeout(r, 500));
    await stack.redis.del(exportKey);
    await new Promise((r) => setTimeout(r, 500));
    expect(await stack.redis.exists(exportKey)).toBe(0);
  });
});

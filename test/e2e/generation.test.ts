import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, startE2eStack } from './support/e2e-stack';
import type { WorkerProcess } from './support/worker-process';

// Submit -> a real worker process -> downloaded image, and dynamic batching across jobs; on the
// demo model when it has been built.
let e2e: E2eStack;
let worker: WorkerProcess;

beforeAll(async () => {
  e2e = await startE2eStack({ vars: { LEASE_TTL_MS: '10000' }, model: 'demo' });
});
afterAll(async () => {
  await e2e?.stop();
});

describe('worker end to end', () => {
  it('turns a submitted generation into a downloadable image', async () => {
    worker = e2e.startWorker('w-gen');
    await worker.waitForLog((l) => l.msg === 'worker ready', 60_000);
    const created = await e2e.submit({ width: 64, height: 64, steps: 4, seed: 5, num_outputs: 2 });
    const done = await e2e.waitFor(created.id, (g) => g.status !== 'queued' && g.status !== 'running');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.outputs.map((o) => o.seed)).toEqual([5, 6]);
    for (const output of done.outputs) {
      const res = await e2e.download(output.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    }
    expect(done.metrics.inference_ms).toBeGreaterThan(0);

    // The worker told the edge what it read from the export (reported before 'worker ready'):
    // the served model's own scheduler class, which runs as itself here.
    const schedulerConfig = JSON.parse(
      readFileSync(join(e2e.modelDir, 'scheduler/scheduler_config.json'), 'utf8'),
    ) as { _class_name: string };
    const listed = (await (await e2e.stack.fetch('/v1/models')).json()) as {
      data: { name: string; export: Record<string, unknown> | null }[];
    };
    expect(listed.data.find((m) => m.name === 'demo-shapes')?.export).toMatchObject({
      scheduler_class: schedulerConfig._class_name,
      scheduler_class_supported: true,
    });

    const ops = await worker.opsUrl();
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(/ldm_worker_jobs_total\{model="demo-shapes",outcome="succeeded",code=""\} 1/);
    expect(metrics).toMatch(/ldm_worker_execution_provider\{model="demo-shapes",provider="cpu"\} 1/);
    // The worker runs with PROVIDER=auto (its default): on this GPU-less machine it passed over CUDA
    // and WebGPU, and says so in a label and, with the reasons, in /healthz.
    expect(metrics).toMatch(
      /ldm_worker_provider\{requested="auto",provider="cpu",device="",fell_back_from="cuda,webgpu"\} 1/,
    );
    const health = (await (await fetch(`${ops}/healthz`)).json()) as {
      provider: { provider: string; fallbacks: { provider: string; reason: string }[] };
    };
    expect(health.provider.provider).toBe('cpu');
    expect(health.provider.fallbacks.map((f) => f.provider)).toEqual(['cuda', 'webgpu']);
    expect(health.provider.fallbacks.every((f) => f.reason.length > 0)).toBe(true);
    expect(metrics).toMatch(/ldm_worker_step_seconds_count\{model="demo-shapes",batch_size="1"\} 4/);
  });

  it('runs compatible queued jobs as one UNet batch', async () => {
    // Queued while the worker is away, so one lease call takes them together.
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const jobs = await Promise.all(
      ['a red circle', 'a blue square', 'a green triangle'].map((prompt, i) =>
        e2e.submit({ prompt, width: 64, height: 64, steps: 3, seed: 100 + i, scheduler: 'euler' }),
      ),
    );
    const odd = await e2e.submit({ prompt: 'bigger', width: 128, height: 64, steps: 3, seed: 9 });
    // This worker also has a folder the catalog does not know: it serves the known model anyway.
    worker = e2e.startWorker('w-batch', { extraModelDirs: { 'not-in-catalog': 'models/demo-shapes' } });
    const stray = await worker.waitForLog(
      (l) => l.msg === "model folder not in the edge's catalog: not served",
    );
    expect(stray.model).toBe('not-in-catalog');
    for (const job of [...jobs, odd]) {
      const done = await e2e.waitFor(job.id, (g) => g.status === 'succeeded' || g.status === 'failed');
      expect(done.status).toBe('succeeded');
    }
    const batches = worker.logs.filter((l) => l.msg === 'batch started');
    const sizes = batches.map((b) => b.jobs).sort();
    expect(sizes).toEqual([1, 3]);
    const big = batches.find((b) => b.jobs === 3);
    expect(new Set(big?.batch as string[])).toEqual(new Set(jobs.map((j) => j.id)));
    expect((await worker.waitForLog((l) => l.msg === 'worker ready')).models).toEqual(['demo-shapes']);
  });

  it('runs img2img on an input image it downloads from the edge', async () => {
    const rgb = Buffer.alloc(64 * 64 * 3, 0);
    for (let i = 0; i < rgb.length; i += 3) rgb[i] = 220;
    const png = await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const created = await e2e.submit({
      task: 'img2img',
      image: `data:image/png;base64,${png.toString('base64')}`,
      width: 64,
      height: 64,
      steps: 4,
      strength: 0.5,
      seed: 1,
    });
    const done = await e2e.waitFor(created.id, (g) => g.status === 'succeeded' || g.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
  });

  it('fails a job whose input image cannot be decoded, for good, with invalid_input_image', async () => {
    // A real 64x64 PNG header (what the edge checks) whose pixel data is corrupted.
    const png = await sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const idat = png.indexOf('IDAT');
    png.fill(0x55, idat + 4, Math.min(png.length - 16, idat + 40));
    const created = await e2e.submit({
      task: 'img2img',
      image: png.toString('base64'),
      width: 64,
      height: 64,
      steps: 4,
    });
    const done = await e2e.waitFor(created.id, (g) => g.status === 'succeeded' || g.status === 'failed');
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('invalid_input_image');
    expect((await e2e.jobRecord(created.id)).attempt).toBe('1');
    const metrics = await (await fetch(`${await worker.opsUrl()}/metrics`)).text();
    expect(metrics).toMatch(
      /ldm_worker_jobs_total\{model="demo-shapes",outcome="failed",code="invalid_input_image"\} 1/,
    );
  });
});

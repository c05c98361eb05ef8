/**
 * `npm run bench:worker`: the worker daemon on the full local stack (redis + Upstash bridge + edge
 * in Miniflare + real worker processes). Reports images/minute with 1 and 2 workers, batching on
 * (MAX_BATCH=4) and off (MAX_BATCH=1); queue wait p50/p99 with idle workers (edge-measured
 * created->started, `metrics.queue_ms`); worker RSS. Uses models/demo-shapes when it has been
 * built, else the end-to-end fixture model (said in the output).
 *
 * Options (env): BENCH_JOBS (default 24), BENCH_STEPS (20), BENCH_SIZE (64 px), BENCH_WAIT_SAMPLES (40).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Generation } from '@ldm/shared';
import {
  DEMO_MODEL_DIR,
  demoModelAvailable,
  writeSlowFixtureModel,
} from '@ldm/test/e2e/support/fixture-model';
import { spawnWorker, type WorkerProcess } from '@ldm/test/e2e/support/worker-process';
import { startEdgeStack } from '@ldm/test/support/edge-stack';

const JOBS = Number(process.env.BENCH_JOBS ?? 24);
const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const WAIT_SAMPLES = Number(process.env.BENCH_WAIT_SAMPLES ?? 40);
const SIZE = Number(process.env.BENCH_SIZE ?? 64);
const MODEL = 'demo-shapes';

const tmp = mkdtempSync(join(tmpdir(), 'ldm-bench-worker-'));
const demo = demoModelAvailable();
const modelDir = demo ? DEMO_MODEL_DIR : await writeSlowFixtureModel(join(tmp, 'models', MODEL));
const stack = await startEdgeStack({ vars: { LEASE_TTL_MS: '30000' } });
const account = await stack.createAccount({
  credits: 10_000_000,
  limits: { concurrent_jobs: 1_000, requests_per_minute: 100_000 },
});
const headers = { ...account.headers, 'content-type': 'application/json' };

async function submit(body: Record<string, unknown>): Promise<Generation> {
  const res = await fetch(`${stack.baseUrl}/v1/generations`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`submit ${res.status}: ${await res.text()}`);
  return (await res.json()) as Generation;
}

async function finished(id: string): Promise<Generation> {
  for (;;) {
    const g = (await (
      await fetch(`${stack.baseUrl}/v1/generations/${id}`, { headers })
    ).json()) as Generation;
    if (g.status === 'succeeded') return g;
    if (g.status === 'failed' || g.status === 'canceled')
      throw new Error(`job ${id} ${g.status}: ${JSON.stringify(g.error)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startWorkers(count: number, maxBatch: number): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: count }, (_, i) =>
    spawnWorker({
      name: `bench-${count}-${maxBatch}-${i}`,
      edgeUrl: stack.baseUrl,
      workerToken: stack.workerToken,
      modelDirs: { [MODEL]: modelDir },
      spoolDir: join(tmp, `spool-${count}-${maxBatch}-${i}`),
      // Workers sharing a host split its cores instead of each spreading over all of them.
      env: {
        MAX_BATCH: String(maxBatch),
        LEASE_WAIT_MS: '20000',
        INTRA_OP_THREADS: String(Math.max(1, Math.floor(availableParallelism() / count))),
      },
    }),
  );
  await Promise.all(workers.map(waitReady));
  return workers;
}

async function waitReady(worker: WorkerProcess): Promise<void> {
  await worker.waitForLog((l) => l.msg === 'worker ready', 120_000);
}

async function rssMb(worker: WorkerProcess): Promise<number> {
  const text = await (await fetch(`${await worker.opsUrl()}/metrics`)).text();
  const m = /^ldm_worker_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : Number.NaN;
}

/** Mean UNet step time per batch size, from the workers' ldm_worker_step_seconds histograms. */
async function stepTimes(workers: WorkerProcess[]): Promise<Map<number, { sum: number; count: number }>> {
  const totals = new Map<number, { sum: number; count: number }>();
  for (const w of workers) {
    const text = await (await fetch(`${await w.opsUrl()}/metrics`)).text();
    for (const m of text.matchAll(
      /^ldm_worker_step_seconds_(sum|count)\{model="[^"]*",batch_size="(\d+)"\} (\S+)$/gm,
    )) {
      const size = Number(m[2]);
      const entry = totals.get(size) ?? { sum: 0, count: 0 };
      entry[m[1] as 'sum' | 'count'] += Number(m[3]);
      totals.set(size, entry);
    }
  }
  return totals;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

console.log(`model: ${demo ? `demo-shapes (${DEMO_MODEL_DIR})` : 'e2e fixture (demo model not built yet)'}`);
console.log(
  `jobs per run: ${JOBS} x ${SIZE}x${SIZE}, ${STEPS} steps, ddim, guidance 5, 1 output; cores: 2 shared\n`,
);

const rows: string[] = [];
let peakRss = 0;
// Every job of the benchmark has its own seed: a repeat would be answered from the edge's cache.
let seed = 1_000;
for (const [count, maxBatch] of [
  [1, 1],
  [1, 4],
  [2, 1],
  [2, 4],
] as const) {
  const workers = await startWorkers(count, maxBatch);
  const idleRss = Math.max(...(await Promise.all(workers.map(rssMb))));
  const started = performance.now();
  const jobs = await Promise.all(
    Array.from({ length: JOBS }, (_, i) =>
      submit({
        model: MODEL,
        prompt: `a red circle ${i % 5}`,
        width: SIZE,
        height: SIZE,
        steps: STEPS,
        seed: seed++,
        guidance_scale: 5,
        scheduler: 'ddim',
      }),
    ),
  );
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, ...(await Promise.all(workers.map(rssMb))));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const results = await Promise.all(jobs.map((j) => finished(j.id)));
  if (results.some((g) => g.cached)) throw new Error('a benchmark job was answered from the cache');
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  rows.push(
    `${count} worker(s)  batching ${maxBatch > 1 ? `on (MAX_BATCH=${maxBatch})` : 'off          '}  ${((JOBS / seconds) * 60).toFixed(1).padStart(7)} images/min  (${seconds.toFixed(1)} s; idle RSS ${idleRss.toFixed(0)} MB)`,
  );
  console.log(rows.at(-1));
  const steps = [...(await stepTimes(workers)).entries()].sort((a, b) => a[0] - b[0]);
  console.log(
    `    UNet step (CFG batch of 2 rows per job), mean: ${steps
      .map(
        ([size, t]) =>
          `batch ${size}: ${((t.sum / t.count) * 1000).toFixed(1)} ms = ${((t.sum / t.count / size) * 1000).toFixed(1)} ms/job`,
      )
      .join('; ')}`,
  );
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

// Queue wait with an idle worker: one job at a time, each submitted while the worker waits in its long-poll.
const [idle] = await startWorkers(1, 4);
const waits: number[] = [];
for (let i = 0; i < WAIT_SAMPLES; i++) {
  await new Promise((r) => setTimeout(r, 50 + (i % 5) * 40));
  const job = await submit({
    model: MODEL,
    prompt: 'a blue square',
    width: 64,
    height: 64,
    steps: 1,
    seed: seed++,
  });
  const done = await finished(job.id);
  waits.push(done.metrics.queue_ms ?? Number.NaN);
}
waits.sort((a, b) => a - b);
const idleRss = await rssMb(idle);
idle.kill('SIGTERM');
await idle.exited;

console.log(
  `\nqueue wait with an idle worker (${WAIT_SAMPLES} jobs, edge metrics.queue_ms): p50 ${quantile(waits, 0.5)} ms, p99 ${quantile(waits, 0.99)} ms, max ${waits.at(-1)} ms`,
);
console.log(`worker RSS: idle ${idleRss.toFixed(0)} MB, peak under load ${peakRss.toFixed(0)} MB`);

await stack.stop();
rmSync(tmp, { recursive: true, force: true });

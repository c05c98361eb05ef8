/**
 * Worker-protocol figures for `npm run bench:edge` (issue 5), against the edge as the local stack
 * runs it (bundle in Miniflare, Upstash REST bridge, real redis-server on loopback):
 *   1. Redis commands and REST requests per whole job lifecycle
 *      (submit, lease, 20 heartbeats, upload, complete, get), phase by phase;
 *   2. Redis commands per second one idle, long-polling worker costs (target <= 1);
 *   3. dispatch latency from submit to a parked worker holding the job, p50/p99 (target p99 <= 250 ms).
 * Run niced; it shares a small machine:
 *   nice -n 10 npx tsx edge/bench/worker-protocol.bench.ts [samples=100] [idleSeconds=45]
 */
import { fileURLToPath } from 'node:url';
import { startEdgeStack } from '@ldm/test/support/edge-stack';
import sharp from 'sharp';
import { executedBetween, type RedisMeter, redisCommandStats, startRedisMeter } from './worker-redis-meter';

export interface WorkerProtocolFigures {
  lifecycle: { phase: string; restRequests: number; commands: number; executed: number }[];
  idle: { seconds: number; restPerSecond: number; commandsPerSecond: number; executedPerSecond: number };
  dispatch: { samples: number; p50: number; p95: number; p99: number; max: number };
  fleet: { workers: number; samples: number; p50: number; p99: number; restPerJob: number };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runWorkerProtocolBench(
  samples = 100,
  idleSeconds = 45,
): Promise<WorkerProtocolFigures> {
  const meter: RedisMeter = await startRedisMeter();
  // The edge talks to Redis through the meter; the meter forwards to the stack's own bridge.
  const stack = await startEdgeStack({ vars: { UPSTASH_REDIS_REST_URL: meter.url } });
  meter.target = stack.bridge.bridgeUrl;
  const redisPort = Number(new URL(stack.bridge.redisUrl).port);
  try {
    const account = await stack.createAccount({
      credits: 1e9,
      limits: { concurrent_jobs: 1_000, requests_per_minute: 100_000 },
    });
    const png = new Uint8Array(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#28a' } })
        .png()
        .toBuffer(),
    );
    const json = (body: unknown, headers: Record<string, string>) => ({
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const workerAuth = { authorization: `Bearer ${stack.workerToken}` };
    const worker = async (path: string, body: unknown) => {
      const res = await stack.fetch(`/worker/v1${path}`, json(body, workerAuth));
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      // biome-ignore lint/suspicious/noExplicitAny: replies are read field by field below
      return (await res.json()) as Record<string, any>;
    };
    const submit = async (seed: number) => {
      const res = await stack.fetch(
        '/v1/generations',
        json({ prompt: 'a blue square', seed }, account.headers),
      );
      if (res.status !== 201) throw new Error(`submit: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };

    // 1. One job's whole lifecycle, phase by phase (the first job warms the script cache).
    const totals = new Map<string, { restRequests: number; commands: number; executed: number }>();
    const measure = async <T>(phase: string, run: () => Promise<T>, counted: boolean): Promise<T> => {
      const before = meter.tally();
      const statsBefore = await redisCommandStats(redisPort);
      const result = await run();
      await sleep(150); // work the edge deferred with waitUntil (wake-ups, webhook claims) lands in this phase
      const after = meter.tally();
      const executed = executedBetween(statsBefore, await redisCommandStats(redisPort));
      if (counted) {
        const t = totals.get(phase) ?? { restRequests: 0, commands: 0, executed: 0 };
        t.restRequests += after.restRequests - before.restRequests;
        t.commands += after.commands - before.commands;
        t.executed += executed;
        totals.set(phase, t);
      }
      return result;
    };
    const JOBS = 6;
    for (let n = 0; n < JOBS; n++) {
      const counted = n > 0;
      const id = await measure('submit', () => submit(1_000 + n), counted);
      const leased = await measure(
        'lease',
        () => worker('/lease', { worker_id: 'bench', models: ['demo-shapes'], wait_ms: 0 }),
        counted,
      );
      const token = leased.jobs[0].lease_token as string;
      if (leased.jobs[0].job_id !== id) throw new Error('leased another job');
      await measure(
        '20 heartbeats',
        async () => {
          for (let step = 1; step <= 20; step++) {
            await worker(`/jobs/${id}/heartbeat`, { lease_token: token, progress: { step, total: 20 } });
          }
        },
        counted,
      );
      await measure(
        'upload',
        async () => {
          const res = await stack.fetch(`/worker/v1/jobs/${id}/outputs/0`, {
            method: 'PUT',
            headers: { ...workerAuth, 'x-lease-token': token, 'content-type': 'image/png' },
            body: png,
          });
          if (!res.ok) throw new Error(`upload: HTTP ${res.status} ${await res.text()}`);
        },
        counted,
      );
      await measure(
        'complete',
        () =>
          worker(`/jobs/${id}/complete`, {
            lease_token: token,
            outputs: [{ index: 0, width: 64, height: 64, seed: 1_000 + n, content_type: 'image/png' }],
            metrics: { inference_ms: 10 },
          }),
        counted,
      );
      await measure(
        'get',
        async () => {
          const res = await stack.fetch(`/v1/generations/${id}`, { headers: account.headers });
          if (((await res.json()) as { status: string }).status !== 'succeeded')
            throw new Error('not succeeded');
        },
        counted,
      );
    }
    const lifecycle = [...totals].map(([phase, t]) => ({
      phase,
      restRequests: t.restRequests / (JOBS - 1),
      commands: t.commands / (JOBS - 1),
      executed: t.executed / (JOBS - 1),
    }));
    lifecycle.push({
      phase: 'whole lifecycle',
      restRequests: lifecycle.reduce((s, p) => s + p.restRequests, 0),
      commands: lifecycle.reduce((s, p) => s + p.commands, 0),
      executed: lifecycle.reduce((s, p) => s + p.executed, 0),
    });

    // 2. An idle worker: back-to-back 20 s long polls with nothing queued.
    const idleBefore = meter.tally();
    const idleStats = await redisCommandStats(redisPort);
    const idleStart = Date.now();
    while (Date.now() - idleStart < idleSeconds * 1000) {
      const wait = Math.min(20_000, idleSeconds * 1000 - (Date.now() - idleStart));
      await worker('/lease', { worker_id: 'idle', models: ['demo-shapes'], wait_ms: Math.max(0, wait) });
    }
    const idleElapsed = (Date.now() - idleStart) / 1000;
    const idleAfter = meter.tally();
    const idleExecuted = executedBetween(idleStats, await redisCommandStats(redisPort));
    const idle = {
      seconds: idleElapsed,
      restPerSecond: (idleAfter.restRequests - idleBefore.restRequests) / idleElapsed,
      commandsPerSecond: (idleAfter.commands - idleBefore.commands) / idleElapsed,
      executedPerSecond: idleExecuted / idleElapsed,
    };

    // 3. Dispatch: a worker parks, a job is submitted, time until the worker holds it.
    const latencies: number[] = [];
    for (let n = 0; n < samples; n++) {
      const parked = worker('/lease', { worker_id: 'parked', models: ['demo-shapes'], wait_ms: 20_000 });
      await sleep(100 + Math.random() * 150);
      const submittedAt = performance.now();
      const id = await submit(50_000 + n);
      const got = await parked;
      latencies.push(performance.now() - submittedAt);
      if (got.jobs[0]?.job_id !== id) throw new Error(`parked worker got ${JSON.stringify(got.jobs)}`);
      await worker(`/jobs/${id}/fail`, {
        lease_token: got.jobs[0].lease_token,
        error: { code: 'model_error', message: 'bench' },
        retryable: false,
      });
    }
    latencies.sort((a, b) => a - b);
    const dispatch = {
      samples,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1],
    };

    // 4. A fleet: FLEET workers park at once; every wake releases them all (waiter-pool.ts), so a
    // submit costs one lease read per idle worker. Dispatch to the first, and that cost.
    const FLEET = 4;
    const fleetLatencies: number[] = [];
    const fleetBefore = meter.tally();
    let stopFleet = false;
    let delivered: ((job: { id: string; at: number }) => void) | undefined;
    const members = Array.from({ length: FLEET }, async (_, w) => {
      while (!stopFleet) {
        const got = await worker('/lease', {
          worker_id: `fleet-${w}`,
          models: ['demo-shapes'],
          wait_ms: 5_000,
        });
        for (const job of got.jobs) {
          delivered?.({ id: job.job_id, at: performance.now() });
          await worker(`/jobs/${job.job_id}/fail`, {
            lease_token: job.lease_token,
            error: { code: 'model_error', message: 'bench' },
            retryable: false,
          });
        }
      }
    });
    const fleetSamples = Math.max(10, Math.round(samples / 2));
    for (let n = 0; n < fleetSamples; n++) {
      await sleep(300 + Math.random() * 200);
      const arrived = new Promise<{ id: string; at: number }>((resolve) => {
        delivered = resolve;
      });
      const submittedAt = performance.now();
      const id = await submit(90_000 + n);
      const got = await arrived;
      if (got.id !== id) throw new Error(`fleet got ${got.id}, expected ${id}`);
      fleetLatencies.push(got.at - submittedAt);
    }
    stopFleet = true;
    await Promise.all(members);
    const fleetAfter = meter.tally();
    fleetLatencies.sort((a, b) => a - b);
    const fleet = {
      workers: FLEET,
      samples: fleetSamples,
      p50: percentile(fleetLatencies, 50),
      p99: percentile(fleetLatencies, 99),
      // Everything the fleet sent per submitted job, minus the job's own submit (2) and fail (1).
      restPerJob: (fleetAfter.restRequests - fleetBefore.restRequests) / fleetSamples - 3,
    };
    return { lifecycle, idle, dispatch, fleet };
  } finally {
    await stack.stop();
    await meter.close();
  }
}

export function printWorkerProtocolFigures(f: WorkerProtocolFigures): void {
  const fixed = (n: number, d = 1) => n.toFixed(d);
  console.log('\nWorker protocol: Redis per job lifecycle (mean of 5 jobs after a warm-up job)');
  console.log(
    '  phase              REST requests   commands sent (EVAL=1)   commands Redis ran (incl. in scripts)',
  );
  for (const p of f.lifecycle) {
    console.log(
      `  ${p.phase.padEnd(18)} ${fixed(p.restRequests).padStart(13)} ${fixed(p.commands).padStart(24)} ${fixed(p.executed).padStart(38)}`,
    );
  }
  console.log(`\nIdle long-polling worker over ${fixed(f.idle.seconds, 0)} s (target <= 1 command/s):`);
  console.log(
    `  ${fixed(f.idle.restPerSecond, 3)} REST requests/s, ${fixed(f.idle.commandsPerSecond, 3)} commands/s sent, ${fixed(f.idle.executedPerSecond, 3)} commands/s run by Redis`,
  );
  console.log(
    `\nDispatch to a parked worker, submit start -> worker holds the job (${f.dispatch.samples} samples, target p99 <= 250 ms):`,
  );
  console.log(
    `  p50 ${fixed(f.dispatch.p50)} ms   p95 ${fixed(f.dispatch.p95)} ms   p99 ${fixed(f.dispatch.p99)} ms   max ${fixed(f.dispatch.max)} ms`,
  );
  const { fleet } = f;
  console.log(`\n${fleet.workers} parked workers, one submit at a time (${fleet.samples} samples):`);
  console.log(
    `  dispatch p50 ${fleet.p50.toFixed(1)} ms   p99 ${fleet.p99.toFixed(1)} ms;   ${fleet.restPerJob.toFixed(2)} worker-side REST requests per job (lease reads the wake causes, incl. the idle polls of the window)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await runWorkerProtocolBench(Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 45));
  printWorkerProtocolFigures(figures);
}

/**
 * `npm run bench:edge` (run it niced: `nice -n 10 npm run bench:edge`; BENCH_SECONDS per slice, default 5; BENCH_ROUNDS, default 7).
 * Prints, for the edge as the local stack runs it (Miniflare + Upstash bridge + redis-server):
 *   - submits/s and p50/p99 latency at 32 concurrent clients, beside a bare Hono Worker in the
 *     same runtime (ratio);
 *   - REST requests (counted by a pass-through in front of the bridge) and Redis commands
 *     (INFO commandstats) per submit, and per whole job lifecycle;
 *   - Redis commands per second one idle long-polling worker costs;
 *   - dispatch latency from submit to an idle worker's lease answer (p50/p99);
 *   - Redis commands per second one open `/events` stream costs while its job does not change.
 */
import { Agent } from 'node:http';
import { PNG_1X1 } from '../test/fake-worker';
import { benchSubmit } from './bench-account';
import { startCountingProxy } from './counting-proxy';
import { call, closedLoop } from './load';
import { cpuMs, findPid } from './process-cpu';
import { commandStats, diffStats } from './redis-stats';
import { STRIP_CF_CONNECTING_IP, startBenchStack } from './stack';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Alternating bare/edge slices; the best of each counts (a shared box only ever slows a slice). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONCURRENCY = 32;
/** Long polls of the idle-worker measurement (20 s each, the daemon's default wait). */
const IDLE_POLLS = Number(process.env.BENCH_IDLE_POLLS ?? 3);
/** Open event streams, and how long they are watched (over 10 s: one safety poll at least). */
const STREAMS = 5;
const STREAM_SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 21);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

const stack = await startBenchStack();
const proxy = await startCountingProxy(stack.bridgeUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

try {
  const edge = await stack.startEdge(stack.bridgeUrl);
  const counted = await stack.startEdge(proxy.url);
  const edgeUrl = new URL(edge.url);
  const countedUrl = new URL(counted.url);
  const json = { 'content-type': 'application/json' };
  const workerHeaders = { ...json, authorization: `Bearer ${stack.workerToken}` };

  const submit = await benchSubmit(agent, edgeUrl, stack.adminToken);

  // 1. Throughput: bare Hono and the edge in the same runtime, same client, alternating slices
  // (best of three each: other work on a shared box only ever makes a slice slower), with the
  // CPU time each server process spent per request.
  const bareUrl = new URL(stack.bareUrl);
  const bareWorkerd = findPid('workerd', `entry=127.0.0.1:${bareUrl.port}`);
  const edgeWorkerd = findPid('workerd', `entry=127.0.0.1:${edgeUrl.port}`);
  if (!bareWorkerd || !edgeWorkerd) throw new Error('could not find the workerd processes');
  if (!stack.floorUrl) throw new Error('the bench stack was started without the calibration Worker');
  const floorUrl = new URL(stack.floorUrl);
  const floorWorkerd = findPid('workerd', `entry=127.0.0.1:${floorUrl.port}`);
  if (!floorWorkerd) throw new Error('could not find the rest-floor workerd process');
  const slice = async (url: URL, pids: number[], query = '') => {
    const before = pids.map(cpuMs);
    const result = await closedLoop(url, { ...submit, path: submit.path + query }, CONCURRENCY, SECONDS);
    const cpu = pids.map((pid, i) => cpuMs(pid) - before[i]);
    return { ...result, cpuPerRequest: cpu.map((ms) => ms / Math.max(1, result.requests + result.errors)) };
  };
  type Slice = Awaited<ReturnType<typeof slice>>;
  const bareRuns: Slice[] = [];
  const edgeRuns: Slice[] = [];
  // The calibration: the bare handler plus 1 or 2 REST round trips and nothing else (rest-floor.ts),
  // one of them per round, so each gets about half as many slices.
  const floorRuns: Record<1 | 2, Slice[]> = { 1: [], 2: [] };
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await slice(bareUrl, [bareWorkerd]));
    edgeRuns.push(await slice(edgeUrl, [edgeWorkerd, stack.bridgePid, stack.redisPid]));
    const trips = round % 2 === 0 ? 2 : 1;
    floorRuns[trips].push(
      await slice(floorUrl, [floorWorkerd, stack.bridgePid, stack.redisPid], `?trips=${trips}`),
    );
  }
  const best = <T extends { perSecond: number }>(runs: T[]) =>
    runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const bare = best(bareRuns);
  const full = best(edgeRuns);

  // 2. REST requests and Redis commands per submit (sequential, after a warm-up of the isolate).
  for (let i = 0; i < 5; i++) await call(agent, countedUrl, submit);
  const N = 200;
  let rest0 = proxy.total();
  let stats0 = commandStats(stack.redisPort);
  for (let i = 0; i < N; i++) {
    const r = await call(agent, countedUrl, submit);
    if (r.status !== 201) throw new Error(`submit answered ${r.status}: ${r.text}`);
  }
  const perSubmitRest = (proxy.total() - rest0) / N;
  const perSubmit = diffStats(stats0, commandStats(stack.redisPort));

  // 3. One whole job lifecycle: submit, lease, 20 heartbeats, upload, complete, get.
  const drain = async () => {
    for (;;) {
      const r = await call(agent, countedUrl, {
        method: 'POST',
        path: '/worker/v1/lease',
        headers: workerHeaders,
        body: JSON.stringify({ worker_id: 'drain', models: ['demo-shapes'], max_jobs: 16, wait_ms: 0 }),
      });
      const jobs = (JSON.parse(r.text) as { jobs: { job_id: string; lease_token: string }[] }).jobs;
      if (!jobs.length) return;
      for (const job of jobs) {
        await call(agent, countedUrl, {
          method: 'POST',
          path: `/worker/v1/jobs/${job.job_id}/fail`,
          headers: workerHeaders,
          body: JSON.stringify({
            lease_token: job.lease_token,
            error: { code: 'internal_error', message: 'bench drain' },
            retryable: false,
          }),
        });
      }
    }
  };
  await drain();
  const steps: Record<string, { rest: number; commands: number }> = {};
  const measure = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const r0 = proxy.total();
    const s0 = commandStats(stack.redisPort);
    const result = await fn();
    steps[name] = { rest: proxy.total() - r0, commands: diffStats(s0, commandStats(stack.redisPort)).total };
    return result;
  };
  const gen = await measure(
    'submit',
    async () => JSON.parse((await call(agent, countedUrl, submit)).text) as { id: string },
  );
  const lease = await measure('lease', async () => {
    const r = await call(agent, countedUrl, {
      method: 'POST',
      path: '/worker/v1/lease',
      headers: workerHeaders,
      body: JSON.stringify({ worker_id: 'bench', models: ['demo-shapes'], max_jobs: 1, wait_ms: 0 }),
    });
    return (JSON.parse(r.text) as { jobs: { job_id: string; lease_token: string }[] }).jobs[0];
  });
  if (lease?.job_id !== gen.id) throw new Error('lifecycle: leased another job');
  await measure('20 heartbeats', async () => {
    for (let i = 1; i <= 20; i++) {
      await call(agent, countedUrl, {
        method: 'POST',
        path: `/worker/v1/jobs/${gen.id}/heartbeat`,
        headers: workerHeaders,
        body: JSON.stringify({ lease_token: lease.lease_token, progress: { step: i, total: 20 } }),
      });
    }
  });
  await measure('upload', async () => {
    const r = await call(agent, countedUrl, {
      method: 'PUT',
      path: `/worker/v1/jobs/${gen.id}/outputs/0`,
      headers: {
        authorization: `Bearer ${stack.workerToken}`,
        'content-type': 'image/png',
        'x-lease-token': lease.lease_token,
      },
      body: PNG_1X1,
    });
    if (r.status !== 200) throw new Error(`upload answered ${r.status}: ${r.text}`);
  });
  await measure('complete', async () => {
    const r = await call(agent, countedUrl, {
      method: 'POST',
      path: `/worker/v1/jobs/${gen.id}/complete`,
      headers: workerHeaders,
      body: JSON.stringify({
        lease_token: lease.lease_token,
        outputs: [{ index: 0, width: 64, height: 64, seed: 1, content_type: 'image/png' }],
        metrics: { inference_ms: 10 },
      }),
    });
    if (r.status !== 200) throw new Error(`complete answered ${r.status}: ${r.text}`);
  });
  await measure('get', () =>
    call(agent, countedUrl, { method: 'GET', path: `/v1/generations/${gen.id}`, headers: submit.headers }),
  );

  // 4. An idle worker long-polling an empty queue as the daemon does (back-to-back calls with its
  // default wait_ms of 20 s): Redis commands per second over a window of several polls.
  rest0 = proxy.total();
  stats0 = commandStats(stack.redisPort);
  const idleStart = Date.now();
  for (let poll = 0; poll < IDLE_POLLS; poll++) {
    await call(agent, countedUrl, {
      method: 'POST',
      path: '/worker/v1/lease',
      headers: workerHeaders,
      body: JSON.stringify({ worker_id: 'idle', models: ['demo-shapes'], max_jobs: 1, wait_ms: 20_000 }),
    });
  }
  const idleSeconds = (Date.now() - idleStart) / 1000;
  const idle = diffStats(stats0, commandStats(stack.redisPort));
  const idleRest = proxy.total() - rest0;

  // 5. Dispatch: a worker parked in a long poll; time from submit sent to its lease answer.
  const dispatch: number[] = [];
  for (let i = 0; i < 30; i++) {
    const leaseCall = call(agent, edgeUrl, {
      method: 'POST',
      path: '/worker/v1/lease',
      headers: workerHeaders,
      body: JSON.stringify({ worker_id: 'dispatch', models: ['demo-shapes'], max_jobs: 1, wait_ms: 10_000 }),
    });
    await new Promise((r) => setTimeout(r, 150)); // let it park
    const sent = performance.now();
    await call(agent, edgeUrl, submit);
    const answer = await leaseCall;
    dispatch.push(performance.now() - sent);
    const job = (JSON.parse(answer.text) as { jobs: { job_id: string; lease_token: string }[] }).jobs[0];
    if (job) {
      await call(agent, edgeUrl, {
        method: 'POST',
        path: `/worker/v1/jobs/${job.job_id}/fail`,
        headers: workerHeaders,
        body: JSON.stringify({
          lease_token: job.lease_token,
          error: { code: 'internal_error', message: 'bench' },
          retryable: false,
        }),
      });
    }
  }
  dispatch.sort((a, b) => a - b);

  // 6. Open event streams on a queued job nobody works on: Redis commands per stream per second.
  await drain();
  const watched = JSON.parse((await call(agent, countedUrl, submit)).text) as { id: string };
  const closeStreams = new AbortController();
  const streams = await Promise.all(
    Array.from({ length: STREAMS }, () =>
      fetch(new URL(`/v1/generations/${watched.id}/events`, countedUrl), {
        headers: submit.headers,
        signal: closeStreams.signal,
      }),
    ),
  );
  if (streams.some((s) => s.status !== 200)) throw new Error(`streams: ${streams.map((s) => s.status)}`);
  await new Promise((r) => setTimeout(r, 500)); // each reads the job once and parks
  rest0 = proxy.total();
  stats0 = commandStats(stack.redisPort);
  const streamStart = Date.now();
  await new Promise((r) => setTimeout(r, STREAM_SECONDS * 1000));
  const streamSeconds = (Date.now() - streamStart) / 1000;
  const streamStats = diffStats(stats0, commandStats(stack.redisPort));
  const streamRest = proxy.total() - rest0;
  closeStreams.abort();

  const ratio = full.perSecond / bare.perSecond;
  const lifecycleRest = Object.values(steps).reduce((a, s) => a + s.rest, 0);
  const lifecycleCommands = Object.values(steps).reduce((a, s) => a + s.commands, 0);
  console.log(
    `\nedge benchmark (${SECONDS} s per run, ${CONCURRENCY} concurrent clients, ${new Date().toISOString()})`,
  );
  console.log(
    STRIP_CF_CONNECTING_IP
      ? "subrequests through Miniflare's strip-cf-connecting-ip Worker (BENCH_STRIP_CF_CONNECTING_IP=1)"
      : "subrequests direct, as the local stack runs them (Miniflare's strip-cf-connecting-ip shim off)",
  );
  console.table({
    'bare Hono (same runtime)': {
      'req/s': round(bare.perSecond),
      'p50 ms': round(bare.p50),
      'p99 ms': round(bare.p99),
      errors: bare.errors,
    },
    'edge POST /v1/generations': {
      'req/s': round(full.perSecond),
      'p50 ms': round(full.p50),
      'p99 ms': round(full.p99),
      errors: full.errors,
    },
  });
  console.log(
    `edge / bare throughput: ${round(ratio * 100)}% (target >= 25%; best of ${ROUNDS} slices each)`,
  );
  console.log(
    `all slices, req/s: bare ${bareRuns.map((r) => round(r.perSecond)).join(', ')}; edge ${edgeRuns.map((r) => round(r.perSecond)).join(', ')}`,
  );
  // A second reading of the same slices, for judging the noise: each edge slice against the bare
  // slice just before it (the target is judged on the best-of ratio above).
  const paired = edgeRuns.map((r, i) => r.perSecond / bareRuns[i].perSecond).sort((a, b) => a - b);
  console.log(
    `edge / bare, slice by slice: median ${round(paired[Math.floor(paired.length / 2)] * 100)}%, ` +
      `range ${round(paired[0] * 100)}-${round(paired[paired.length - 1] * 100)}%`,
  );
  const cpu = (runs: { cpuPerRequest: number[] }[], i: number) =>
    round(Math.min(...runs.map((r) => r.cpuPerRequest[i])), 3);
  console.log(
    `CPU ms per request (least of ${ROUNDS}): bare workerd ${cpu(bareRuns, 0)}; edge workerd ${cpu(edgeRuns, 0)} + bridge ${cpu(edgeRuns, 1)} + redis-server ${cpu(edgeRuns, 2)}`,
  );
  for (const trips of [1, 2] as const) {
    const runs = floorRuns[trips];
    console.log(
      `calibration, bare handler + ${trips} REST round trip${trips > 1 ? 's' : ''} and nothing else: ` +
        `${round((best(runs).perSecond / bare.perSecond) * 100)}% of bare (best of ${runs.length}); ` +
        `CPU ms per request: workerd ${cpu(runs, 0)} + bridge ${cpu(runs, 1)} + redis-server ${cpu(runs, 2)}`,
    );
  }
  console.log(`statuses: edge ${JSON.stringify(full.statuses)}`);
  console.log(
    `per submit: ${round(perSubmitRest, 2)} REST requests (target <= 2), ${round(perSubmit.total / N, 2)} Redis commands (${round(perSubmit.scripts / N, 2)} EVALSHA/EVAL; the rest run inside them)`,
  );
  console.log(
    'per-submit Redis commands by name:',
    Object.fromEntries(Object.entries(perSubmit.diff).map(([k, v]) => [k, round(v / N, 2)])),
  );
  console.table(steps);
  console.log(`whole lifecycle: ${lifecycleRest} REST requests, ${lifecycleCommands} Redis commands`);
  console.log(
    `idle worker: ${round(idle.total / idleSeconds, 2)} Redis commands/s, ${round(idleRest / idleSeconds, 2)} REST requests/s (target <= 1 command/s)`,
  );
  console.log(
    `open /events stream, job unchanged (${STREAMS} streams, ${round(streamSeconds)} s): ` +
      `${round(streamStats.total / STREAMS / streamSeconds, 3)} Redis commands/s and ` +
      `${round(streamRest / STREAMS / streamSeconds, 3)} REST requests/s per stream (target <= 0.2 commands/s)`,
  );
  console.log(
    `dispatch to an idle worker: p50 ${round(dispatch[Math.floor(dispatch.length / 2)])} ms, p99 ${round(dispatch[Math.floor(dispatch.length * 0.99)])} ms, max ${round(dispatch.at(-1) ?? 0)} ms (target p99 <= 250 ms)`,
  );
} finally {
  agent.destroy();
  await proxy.close();
  await stack.stop();
}

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../redis-server';

/**
 * Throughput of the bridge next to Redis itself. Run niced, it shares the machine:
 *   nice -n 10 npx tsx infra/local/upstash-bridge/bench.ts [seconds=5] [concurrency=32] [poolSize=4]
 * The bridge runs as its own process (as under the launcher), so the load generator here does not
 * steal its event loop; on a 2-core box the two still compete for CPU, so read figures as a floor.
 */
const seconds = Number(process.argv[2] ?? 5);
/** USER_HZ: 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;
const concurrency = Number(process.argv[3] ?? 32);
const poolSize = process.argv[4] ?? '4';

const FLOOR_SERVER = `
const server = require('node:http').createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 17 }).end('{"result":"eHh4"}'));
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
`;

const redis = await startRedisServer({ appendOnly: false });
const token = randomBytes(24).toString('base64url');
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
// One node process with tsx's loader (not the tsx CLI, which forks) so /proc shows the bridge's own CPU.
const bridge = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main], {
  env: { ...process.env, REDIS_URL: redis.url, UPSTASH_TOKEN: token, PORT: '0', POOL_SIZE: poolSize },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// The floor: a bare node:http server that reads the body and answers a constant. The gap between
// it and the bridge is what the bridge itself costs per request.
const floor = spawn(process.execPath, ['-e', FLOOR_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });

try {
  const port = new URL(await listeningUrl(bridge)).port;
  const floorPort = new URL(await listeningUrl(floor)).port;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

  const post = (path: string, body: string, target = port) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port: target,
          path,
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'upstash-encoding': 'base64',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  /**
   * Keeps `concurrency` requests in flight for the duration; returns requests/s, latency and the
   * server's CPU time per request, which unlike requests/s does not depend on how busy the box is.
   */
  async function run(path: string, body: string, target = port) {
    const server = target === port ? bridge : floor;
    const latencies: number[] = [];
    const warmupEnd = Date.now() + 500;
    const end = warmupEnd + seconds * 1000;
    const worker = async () => {
      while (Date.now() < end) {
        const start = performance.now();
        await post(path, body, target);
        if (Date.now() > warmupEnd) latencies.push(performance.now() - start);
      }
    };
    let cpuBefore = 0;
    const warmup = Array.from({ length: concurrency }, worker);
    setTimeout(() => (cpuBefore = cpuSeconds(server.pid)), warmupEnd - Date.now());
    await Promise.all(warmup);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))].toFixed(2);
    const cpuMicros = Number.isNaN(cpu) ? 'n/a' : ((cpu / latencies.length) * 1e6).toFixed(0);
    return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), cpuMicros };
  }

  await post('/', JSON.stringify(['SET', 'bench:key', 'x'.repeat(64)]));
  // Let V8 optimise the bridge's hot paths before anything is measured.
  await run('/pipeline', JSON.stringify([['GET', 'bench:key']]));
  const httpFloor = await run('/', JSON.stringify(['GET', 'bench:key']), floorPort);
  const single = await run('/', JSON.stringify(['GET', 'bench:key']));
  const autoPipelined = await run('/pipeline', JSON.stringify([['GET', 'bench:key']]));
  const tenCommands = JSON.stringify(
    Array.from({ length: 10 }, (_, i) => (i % 2 ? ['GET', 'bench:key'] : ['INCR', `bench:n${i}`])),
  );
  const pipeline = await run('/pipeline', tenCommands);
  const transaction = await run('/multi-exec', tenCommands);
  agent.destroy();

  const direct = redisBenchmark(redis.port, []);
  const directPipelined = redisBenchmark(redis.port, ['-P', '10']);

  type Result = Awaited<ReturnType<typeof run>>;
  const row = (name: string, r: Result, commands: number) =>
    `${name.padEnd(38)} ${r.rps.toFixed(0).padStart(7)} req/s ${(r.rps * commands).toFixed(0).padStart(7)} cmd/s  ` +
    `p50 ${r.p50} ms  p99 ${r.p99} ms  server CPU ${r.cpuMicros} us/req`;
  console.log(`bridge (pool ${poolSize}), ${concurrency} keep-alive connections, ${seconds}s per case:`);
  console.log(row('floor: bare node:http, constant reply', httpFloor, 1));
  console.log(row('POST / (GET)', single, 1));
  console.log(row('POST /pipeline, 1 command', autoPipelined, 1));
  console.log(row('POST /pipeline, 10 commands', pipeline, 10));
  console.log(row('POST /multi-exec, 10 commands', transaction, 10));
  if (direct !== null && directPipelined !== null) {
    console.log(
      `redis-benchmark GET direct, ${concurrency} clients: ${direct.toFixed(0)} req/s; with -P 10: ${directPipelined.toFixed(0)} cmd/s`,
    );
    console.log(`ratio bridge/floor: single ${(single.rps / httpFloor.rps).toFixed(3)}`);
    console.log(
      `ratio bridge/direct: single ${(single.rps / direct).toFixed(3)}, 10-command pipeline ${((pipeline.rps * 10) / directPipelined).toFixed(3)}`,
    );
  } else {
    console.log('redis-benchmark not found: no direct figure');
  }
} finally {
  bridge.kill('SIGTERM');
  floor.kill('SIGTERM');
  await redis.stop();
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const match = /listening on (\S+)/.exec(d.toString());
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
  });
}

/** User + system CPU seconds a process has used, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name, in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** GET requests/s that redis-benchmark measures against the same server, or null if it is absent. */
function redisBenchmark(port: number, extra: string[]): number | null {
  const args = ['-p', String(port), '-t', 'get', '-n', '200000', '-c', String(concurrency), '-q', ...extra];
  const result = spawnSync('redis-benchmark', args, { encoding: 'utf8' });
  const match = /GET: ([\d.]+) requests per second/.exec(result.stdout ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * `npm run profile:edge` (BENCH_SECONDS, default 6): CPU profiles of the edge Worker (through
 * workerd's inspector) and of the Upstash bridge (node --cpu-prof) under the submit load of
 * `npm run bench:edge` (32 clients, no seed). Writes `.data/profiles/edge-submit-<time>.cpuprofile`
 * and `bridge-submit-<time>.cpuprofile` (open them in Chrome DevTools or speedscope) and prints the
 * functions with the most self time in each. This is how the per-submit costs named in
 * edge/README.md were found. (On this 2-core stack every process shares the same cores, so the
 * bridge's CPU per submit counts against the edge's throughput as much as the Worker's does.)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@ldm/infra/local/free-port';
import { benchSubmit } from './bench-account';
import { type CpuProfile, hottest, profileWorker } from './cpu-profile';
import { closedLoop } from './load';
import { startBenchStack } from './stack';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = 32;
const TOP = 30;

const dir = join(process.cwd(), '.data', 'profiles');
mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replaceAll(':', '-');
const bridgeProfileDir = mkdtempSync(join(tmpdir(), 'ldm-bridge-profile-'));

/** The top self-time functions of a profile, as printable lines. */
function summary(profile: CpuProfile, requests: number): string[] {
  const { busySamples, functions } = hottest(profile, TOP);
  const busyMs = (busySamples * (profile.endTime - profile.startTime)) / profile.samples.length / 1000;
  return [
    `  busy ${(busyMs / requests).toFixed(3)} ms per submit (sampled; the profiler's own cost included)`,
    ...functions.map((f) => `  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`),
  ];
}

// No calibration Worker: the profile looks at the edge and the bridge only.
const stack = await startBenchStack({ bridgeProfileDir, calibration: false });
let requests = 0;
let workerProfile: CpuProfile;
try {
  const inspectorPort = await getFreePort();
  const edge = await stack.startEdge(stack.bridgeUrl, { inspectorPort });
  const edgeUrl = new URL(edge.url);
  const submit = await benchSubmit(new Agent({ keepAlive: true }), edgeUrl, stack.adminToken);
  await closedLoop(edgeUrl, submit, CONCURRENCY, 2); // warm the isolate and the scripts
  workerProfile = await profileWorker(inspectorPort, 'ldm-edge', async () => {
    requests = (await closedLoop(edgeUrl, submit, CONCURRENCY, SECONDS)).requests;
  });
} finally {
  await stack.stop(); // the bridge writes its profile as it exits
}
// The bridge profile spans its whole life (start-up and warm-up too), so its per-submit figure is
// an upper bound; the shares are dominated by the measured load.
const [bridgeFile] = readdirSync(bridgeProfileDir);
const bridgeProfile = JSON.parse(readFileSync(join(bridgeProfileDir, bridgeFile), 'utf8')) as CpuProfile;
rmSync(bridgeProfileDir, { recursive: true, force: true });
const workerPath = join(dir, `edge-submit-${stamp}.cpuprofile`);
const bridgePath = join(dir, `bridge-submit-${stamp}.cpuprofile`);
writeFileSync(workerPath, JSON.stringify(workerProfile));
writeFileSync(bridgePath, JSON.stringify(bridgeProfile));
const lines = [
  `${requests} submits in ${SECONDS} s (\`npm run bench:edge\` measures CPU per submit unprofiled)`,
  'edge Worker (workerd), self time as a share of busy samples (native calls such as fetch under their own name):',
  ...summary(workerProfile, requests),
  'Upstash bridge (node), self time as a share of busy samples, its whole run:',
  ...summary(bridgeProfile, requests),
  `profiles: ${workerPath}`,
  `          ${bridgePath}`,
];
process.stdout.write(`${lines.join('\n')}\n`);

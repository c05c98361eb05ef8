/**
 * `npm run profile:edge` (BENCH_SECONDS, default 6): a CPU profile of the edge Worker under the
 * submit load of `npm run bench:edge` (32 clients, no seed), taken with workerd's inspector. Writes
 * `.data/profiles/edge-submit-<time>.cpuprofile` (open it in Chrome DevTools or speedscope) and
 * prints the functions with the most self time. This is how the per-submit costs named in
 * edge/README.md were found.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { getFreePort } from '@ldm/infra/local/free-port';
import { benchSubmit } from './bench-account';
import { hottest, profileWorker } from './cpu-profile';
import { closedLoop } from './load';
import { startBenchStack } from './stack';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = 32;
const TOP = 30;

const stack = await startBenchStack();
try {
  const inspectorPort = await getFreePort();
  const edge = await stack.startEdge(stack.bridgeUrl, { inspectorPort });
  const edgeUrl = new URL(edge.url);
  const submit = await benchSubmit(new Agent({ keepAlive: true }), edgeUrl, stack.adminToken);
  await closedLoop(edgeUrl, submit, CONCURRENCY, 2); // warm the isolate and the scripts
  let requests = 0;
  const profile = await profileWorker(inspectorPort, 'ldm-edge', async () => {
    requests = (await closedLoop(edgeUrl, submit, CONCURRENCY, SECONDS)).requests;
  });
  const dir = join(process.cwd(), '.data', 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `edge-submit-${new Date().toISOString().replaceAll(':', '-')}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const { busySamples, functions } = hottest(profile, TOP);
  const busyMs = (busySamples * (profile.endTime - profile.startTime)) / profile.samples.length / 1000;
  const lines = [
    `${requests} submits in ${SECONDS} s; the Worker's thread busy ${(busyMs / requests).toFixed(3)} ms per submit ` +
      "(sampled, the profiler's own cost included: `npm run bench:edge` measures it unprofiled)",
    `self time, share of busy samples (native calls such as fetch show under their own name):`,
    ...functions.map((f) => `  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`),
    `profile: ${file}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await stack.stop();
}

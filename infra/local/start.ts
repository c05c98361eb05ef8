/**
 * `npm start`: the whole platform on this machine, on the production code paths.
 *   Redis (REDIS_URL, else redis-server on PATH, else a pinned Redis built once into a cache
 *   folder; AOF under .data/redis) -> Upstash REST bridge -> the edge bundle
 *   in workerd (Miniflare, R2 under .data/edge) -> N CPU gpu-workers on the demo model.
 * Prints each step it waits on with its time, then the playground URL (opens signed in), the API
 * URL and key (also in .data/stack.json); stops every child on Ctrl-C/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bootStepPrinter } from './boot-steps';
import { startLocalStack } from './local-stack';
import { playgroundUrl } from './playground-url';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1' },
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    model: { type: 'string', default: 'models/demo-shapes' },
    upscaler: { type: 'string', default: 'models/demo-upscaler' },
    'data-dir': { type: 'string', default: process.env.LDM_DATA_DIR ?? '.data' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: npm start -- [--workers N] [--port 8787] [--model models/demo-shapes] [--upscaler models/demo-upscaler] [--data-dir .data]',
  );
  process.exit(0);
}

const workers = Number(values.workers);
const port = Number(values.port);
if (!Number.isInteger(workers) || workers < 0 || workers > 16) {
  console.error('--workers must be a whole number from 0 to 16');
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('--port must be a port number (0 picks a free one)');
  process.exit(2);
}
const modelDir = resolve(values.model);
if (workers > 0 && !existsSync(resolve(modelDir, 'model_index.json'))) {
  console.error(`no model at ${modelDir} (model_index.json missing); pass --model DIR or --workers 0`);
  process.exit(2);
}

try {
  console.log('Starting the LDM platform:');
  const stack = await startLocalStack({
    step: bootStepPrinter((line) => console.log(line)),
    progress: (line) => console.log(`    ${line}`),
    dataDir: resolve(values['data-dir']),
    port,
    workers,
    modelDir,
    // Both demo models: upscale requests and "upscale": 4 run on every worker.
    upscalerDir: existsSync(resolve(values.upscaler, 'model_index.json'))
      ? resolve(values.upscaler)
      : undefined,
    redisUrl: process.env.REDIS_URL,
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the stack...`);
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  };
  // Miniflare's exit hook exits at once on a signal (code 143) and would skip the ordered
  // shutdown below; its 'exit' hook that kills workerd stays as the last resort.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // `npm start` killed by SIGTERM exits without passing the signal on; an orphaned launcher
  // would keep the whole stack running, so losing the parent counts as a stop request.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('parent exited');
  }, 1_000).unref();
  const { info } = stack;
  console.log(`
LDM platform is up.
  open        ${playgroundUrl(info.base_url, info.api_key)}
              the playground, signed in (the key is in the #fragment, which the browser never sends)
  API         ${info.base_url}
  docs        ${info.base_url}/docs
  API key     ${info.api_key}
  (also in ${resolve(values['data-dir'], 'stack.json')})

  curl -s -X POST ${info.base_url}/v1/generations -H "Authorization: Bearer $KEY" \\
    -H 'Content-Type: application/json' -H 'Prefer: wait=30' -d '{"prompt":"a red circle on a blue background","seed":1}'
`);
} catch (error) {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
}

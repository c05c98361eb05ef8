import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = resolve(ROOT, 'gpu-worker/src/main.ts');

export interface WorkerLogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface WorkerProcess {
  name: string;
  process: ChildProcess;
  logs: WorkerLogLine[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The ops server (`/metrics`, `/healthz`, `/readyz`, `/drain`), known once the worker logged it. */
  opsUrl(): Promise<string>;
  waitForLog(match: (line: WorkerLogLine) => boolean, timeoutMs?: number): Promise<WorkerLogLine>;
  kill(signal: NodeJS.Signals): void;
  /** SIGKILL if still running; resolves once gone. */
  dispose(): Promise<void>;
}

export interface SpawnWorkerOptions {
  name: string;
  edgeUrl: string;
  workerToken: string;
  modelDirs: Record<string, string>;
  spoolDir: string;
  env?: Record<string, string>;
  /** Echo the worker's log lines (debugging). */
  verbose?: boolean;
}

/**
 * A real worker daemon as a child process: node with tsx's loader, so that kill -9 hits the
 * worker itself (not an npx/tsx wrapper that would leave it running).
 */
export function spawnWorker(options: SpawnWorkerOptions): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      EDGE_URL: options.edgeUrl,
      WORKER_TOKEN: options.workerToken,
      WORKER_ID: options.name,
      MODEL_DIRS: Object.entries(options.modelDirs)
        .map(([name, dir]) => `${name}=${dir}`)
        .join(','),
      SPOOL_DIR: options.spoolDir,
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      RETRY_MAX_DELAY_MS: '1000',
      LEASE_WAIT_MS: '5000',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: WorkerLogLine[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (options.verbose) process.stdout.write(`[${options.name}] ${line}\n`);
      if (!line.startsWith('{')) return;
      try {
        logs.push(JSON.parse(line) as WorkerLogLine);
      } catch {
        return;
      }
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );

  const waitForLog = (match: (line: WorkerLogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<WorkerLogLine>((done, fail) => {
      const check = () => {
        const hit = logs.find(match);
        if (!hit) return false;
        cleanup();
        done(hit);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const tail = logs
          .slice(-8)
          .map((l) => JSON.stringify(l))
          .join('\n');
        fail(new Error(`${options.name}: log line not seen within ${timeoutMs} ms; last lines:\n${tail}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      const wake = () => void check();
      if (!check()) waiters.add(wake);
      void exited.then(() => {
        if (waiters.has(wake) && !check()) {
          cleanup();
          fail(new Error(`${options.name} exited before the awaited log line`));
        }
      });
    });

  return {
    name: options.name,
    process: child,
    logs,
    exited,
    opsUrl: async () => (await waitForLog((l) => l.msg === 'worker starting')).ops_url as string,
    waitForLog,
    kill: (signal) => {
      child.kill(signal);
    },
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

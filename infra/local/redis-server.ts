import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port';

export interface RedisServerOptions {
  /** Port to bind on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Data directory (AOF lives here). A temporary one, removed on stop, when omitted. */
  dir?: string;
  /** Append-only file on, so a restart loses no queued job. Default true. */
  appendOnly?: boolean;
  /** The redis-server to run (chooseRedis picks it for `npm start`); `redis-server` on PATH when omitted. */
  binary?: string;
}

export interface RedisServerHandle {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT =
  'redis-server was not found on PATH. Install it with: sudo apt-get install -y redis-server (Debian/Ubuntu) or brew install redis (macOS), or set REDIS_URL to an existing Redis.';

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a private redis-server child bound to loopback and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? 'redis-server';
  if (options.binary === undefined && !redisServerAvailable()) throw new Error(REDIS_INSTALL_HINT);
  const port = options.port ?? (await getFreePort());
  const temporary = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ldm-redis-'));
  mkdirSync(dir, { recursive: true });
  // biome-ignore format: one flag and its value per line reads best
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', options.appendOnly === false ? 'no' : 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--loglevel', 'warning',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Last resort if the parent exits without stop() (an uncaught error, another library's
  // exit hook): redis-server must not outlive it and keep the port and the AOF open.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const deadline = Date.now() + 10_000;
  while (!(await pingRedis(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}: ${output.trim().slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends an inline PING and reports whether +PONG came back. */
export function pingRedis(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

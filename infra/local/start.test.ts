import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('npm start (the local stack launcher)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ldm-start-'));
  let launcher: ChildProcess | undefined;
  afterAll(() => {
    if (launcher?.exitCode === null) launcher.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(): { child: ChildProcess; output: () => string } {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'infra/local/start.ts', '--workers', '0', '--port', '0', '--data-dir', dataDir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout?.on('data', (d) => (text += d));
    child.stderr?.on('data', (d) => (text += d));
    launcher = child;
    return { child, output: () => text };
  }

  async function runUntilUp() {
    const { child, output } = start();
    await waitFor(
      'the stack to come up',
      () => (output().includes('LDM platform is up') ? true : undefined),
      150_000,
    );
    const info = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
    return { child, output, info };
  }

  async function stop(child: ChildProcess, output: () => string) {
    const family = descendants(child.pid!);
    expect(family.length).toBeGreaterThanOrEqual(2); // at least redis-server and workerd
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('stopped.');
    await waitFor(
      'every child to exit',
      () => (family.every((pid) => !alive(pid)) ? true : undefined),
      10_000,
    );
  }

  it('brings up Redis, bridge and edge, creates a key, and leaves nothing behind on SIGTERM', async () => {
    const { child, output, info } = await runUntilUp();
    expect(info).toMatchObject({ base_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(info.api_key).toMatch(/^ldm_live_/);
    const health = await fetch(`${info.base_url}/healthz`);
    expect(health.status).toBe(200);
    const account = await fetch(`${info.base_url}/v1/account`, {
      headers: { authorization: `Bearer ${info.api_key}` },
    });
    expect(account.status).toBe(200);
    expect(existsSync(join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
    const port = Number(new URL(info.base_url).port);
    await stop(child, output);
    expect(await portOpen(port)).toBe(false);
  }, 240_000);

  it('reuses the same account and key on the next start (idempotent bootstrap, data kept)', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
    const { child, output, info } = await runUntilUp();
    expect(info.api_key).toBe(before.api_key);
    expect(info.account_id).toBe(before.account_id);
    const account = await fetch(`${info.base_url}/v1/account`, {
      headers: { authorization: `Bearer ${info.api_key}` },
    });
    expect(account.status).toBe(200);
    await stop(child, output);
  }, 240_000);
});

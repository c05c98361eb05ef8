import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeProvider } from '../src/model/providers';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = 'gpu-worker/scripts/check-gpu.ts';

function run(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: root, timeout: 120_000, env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('npm run check:gpu', () => {
  it('runs every case against the CPU twin and passes (the CPU against itself is exact)', async () => {
    const { code, out } = await run(['--provider', 'cpu', '--steps', '4', '--runs', '1']);
    expect(out).toContain('execution provider cpu (asked: cpu)');
    for (const task of ['txt2img', 'img2img']) {
      for (const scheduler of ['ddim', 'euler_ancestral', 'dpmpp_2m']) {
        expect(out).toMatch(new RegExp(`ok {3}${task} ${scheduler} +PSNR inf`));
      }
    }
    expect(out).toMatch(/UNet per step: cpu \d+\.\d+ ms, cpu \d+\.\d+ ms/);
    expect(out).toMatch(/images\/s: cpu \d+\.\d+, cpu \d+\.\d+/);
    expect(out).toMatch(/first run \(shader\/kernel compile\) overhead on cpu: \d+ ms/);
    expect(out).toMatch(/peak host memory \(max RSS\): \d+ MiB/);
    expect(out.trim().endsWith('PASS')).toBe(true);
    expect(code).toBe(0);
  });

  it('fails, with every reason, where no GPU provider starts', async () => {
    const cuda = await probeProvider('cuda', 0);
    const webgpu = await probeProvider('webgpu', 0);
    if (cuda.available || webgpu.available) {
      console.warn('a GPU provider starts on this machine: the no-GPU failure path is not exercised here');
      return;
    }
    const { code, out } = await run(['--steps', '2', '--runs', '1']);
    expect(out).toContain(`provider cuda unavailable: ${cuda.reason}`);
    expect(out).toContain(`provider webgpu unavailable: ${webgpu.reason}`);
    expect(out).toContain('FAIL: no GPU provider started here');
    expect(code).toBe(1);
    const named = await run(['--provider', 'webgpu']);
    expect(named.out).toContain('FAIL: PROVIDER=webgpu cannot start here:');
    expect(named.code).toBe(1);
  });
});

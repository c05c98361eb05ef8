import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyUpscaler } from '@ldm/gpu-worker/test-fixtures/tiny-upscaler-folder';
import { type LocalStack, startLocalStack } from '@ldm/infra/local/local-stack';
import { writeSlowFixtureModel } from '@ldm/test/e2e/support/fixture-model';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngSize } from './support/png-size';
import { runLdm } from './support/run-ldm';

// `ldm upscale IN.png -o OUT.png` against the local stack (edge in workerd, Redis, a real worker
// that loads both models; the upscaler is the pipeline's tiny x4 fixture, so this stays quick).
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldm-upscale-cli-'));
  process.env.HEARTBEAT_INTERVAL_MS ??= '200';
  stack = await startLocalStack({
    dataDir: join(dir, '.data'),
    port: 0,
    workers: 1,
    modelDir: await writeSlowFixtureModel(join(dir, 'models', 'demo-shapes')),
    upscalerDir: await writeTinyUpscaler(join(dir, 'models', 'demo-upscaler')),
    quiet: process.env.LDM_TEST_VERBOSE !== '1',
    edgeVars: { LEASE_TTL_MS: '3000', POLL_INTERVAL_MS: '100' },
    // The tiny upscaler runs a step in a few ms: heartbeats (which carry the progress) every 100 ms,
    // and an input large enough (128x96 -> 512x384) that the job outlasts several of them.
    workerEnv: { HEARTBEAT_INTERVAL_MS: '100' },
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ldm upscale', () => {
  it('writes the x4 result with step progress on stderr', async () => {
    const input = join(dir, 'in.png');
    writeFileSync(
      input,
      await sharp(Buffer.alloc(128 * 96 * 3, 90), { raw: { width: 128, height: 96, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const out = join(dir, 'out.png');
    const run = await runLdm(
      ['upscale', input, '-o', out, '--steps', '60', '--seed', '4', '--noise-level', '40'],
      {
        cwd: dir,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(out);
    expect(pngSize(readFileSync(out))).toEqual({ width: 512, height: 384 });
    expect(run.stderr).toMatch(/step \d+\/60/);
    expect(run.stderr).toMatch(/demo-upscaler/);
  }, 120_000);

  it('says what is wrong with a bad input, naming the field and the limit', async () => {
    const big = join(dir, 'big.png');
    writeFileSync(
      big,
      await sharp(Buffer.alloc(520 * 520 * 3, 5), { raw: { width: 520, height: 520, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const run = await runLdm(['upscale', big, '-o', join(dir, 'x.png')], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/image .*upscales at most 262144 input pixels/);
    const usage = await runLdm(['upscale'], { cwd: dir });
    expect(usage.stderr).toMatch(/upscale takes one input image/);
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageMetadata } from '../src/index';
import { writeTinyModel } from '../test-fixtures/tiny-sd-folder';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'generate.ts');
const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
let dir: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldm-cli-'));
  model = await writeTinyModel(join(dir, 'model'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return run(tsx, [script, ...args], { cwd: dir }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe('npm run generate', () => {
  it('writes every output with its parameters and shows progress', async () => {
    const out = join(dir, 'out', 'cat.webp');
    const args = ['--model', model, '--prompt', 'a photo of a cat', '--negative-prompt', 'dog', '--out', out];
    const { code, stdout, stderr } = await cli([
      ...args,
      '--seed',
      '9',
      '--steps',
      '4',
      '--num-outputs',
      '2',
      '--width',
      '72',
      '--scheduler',
      'ddim',
    ]);
    expect(code).toBe(0);
    expect(stderr).toContain('4/4 steps');
    expect(stdout).toContain('cat-2.webp 72x64 seed 10');
    const bytes = await readFile(join(dir, 'out', 'cat-2.webp'));
    expect((await sharp(bytes).metadata()).format).toBe('webp');
    expect(await readImageMetadata(bytes)).toMatchObject({
      prompt: 'a photo of a cat',
      negative_prompt: 'dog',
      seed: 10,
      steps: 4,
      scheduler: 'ddim',
      model: 'model',
      width: 72,
      height: 64,
    });
  }, 60_000);

  it('exits 2 naming the field for a bad request', async () => {
    const { code, stderr } = await cli(['--model', model, '--prompt', 'x', '--width', '70']);
    expect(code).toBe(2);
    expect(stderr).toContain('width: must be a multiple of 8');
  }, 60_000);

  it('passes --karras and --rng to the request (checked against the scheduler)', async () => {
    const base = ['--model', model, '--prompt', 'x', '--scheduler', 'ddim', '--karras'];
    const karras = await cli(base);
    expect(karras.code).toBe(2);
    expect(karras.stderr).toContain('use_karras_sigmas: ddim has no Karras sigmas');
    const rng = await cli(['--model', model, '--prompt', 'x', '--rng', 'mt']);
    expect(rng.code).toBe(2);
    expect(rng.stderr).toContain('--rng must be one of torch, xoshiro128, got "mt"');
  }, 60_000);

  it('exits 2 with the usage for a missing --model', async () => {
    const { code, stderr } = await cli(['--prompt', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain('--model is required');
    expect(stderr).toContain('Usage:');
  }, 60_000);
});

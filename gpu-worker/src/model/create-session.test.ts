import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../../test-fixtures/tiny-sd-folder';
import { createSession, type SessionFactory } from './create-session';
import { ModelFolderError } from './model-folder-error';

let dir: string;
let unetPath: string;

beforeAll(async () => {
  dir = await writeTinyModel(await mkdtemp(join(tmpdir(), 'ldm-session-')));
  unetPath = join(dir, 'unet', 'model.onnx');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('execution provider selection', () => {
  it('falls back to the CPU, explicitly and logged, when CUDA cannot start (this machine has no CUDA)', async () => {
    const logs: string[] = [];
    const log = (m: string, level: string) => logs.push(`${level} ${m}`);
    const created = await createSession(unetPath, dir, { provider: 'cuda', log });
    expect(created.provider).toBe('cpu');
    expect(created.session.inputNames).toContain('sample');
    expect(logs[0]).toMatch(/^warn unet\/model\.onnx: CUDA unavailable \(.+\); falling back to cpu$/);
    expect(logs[1]).toBe('info unet/model.onnx: execution provider cpu');
    await created.session.release();
  });

  it('asks for CUDA alone with the device id, then for the CPU alone', async () => {
    const calls: ort.InferenceSession.SessionOptions[] = [];
    const failingCuda: SessionFactory = async (_path, options) => {
      calls.push(options);
      throw new Error('no CUDA\nsecond line');
    };
    await expect(
      createSession(unetPath, dir, { provider: 'cuda', deviceId: 1 }, failingCuda),
    ).rejects.toThrow(ModelFolderError);
    expect(calls.map((c) => c.executionProviders)).toEqual([[{ name: 'cuda', deviceId: 1 }], ['cpu']]);
  });

  it('keeps CUDA when it starts', async () => {
    const logs: string[] = [];
    const session = {} as ort.InferenceSession;
    const cudaWorks: SessionFactory = async (_path, options) => {
      const first = options.executionProviders?.[0];
      if (typeof first === 'object' && first.name === 'cuda') return session;
      throw new Error('unexpected CPU attempt');
    };
    const created = await createSession(
      unetPath,
      dir,
      { provider: 'cuda', log: (m, level) => logs.push(`${level} ${m}`) },
      cudaWorks,
    );
    expect(created).toEqual({ session, provider: 'cuda' });
    expect(logs).toEqual(['info unet/model.onnx: execution provider cuda (device 0)']);
  });

  it('never tries CUDA when the CPU is asked for', async () => {
    const created = await createSession(unetPath, dir, { provider: 'cpu' });
    expect(created.provider).toBe('cpu');
    await created.session.release();
  });

  it('deterministic: session.use_deterministic_compute=1 on the CUDA and the CPU attempt', async () => {
    const calls: ort.InferenceSession.SessionOptions[] = [];
    const failing: SessionFactory = async (_path, options) => {
      calls.push(options);
      throw new Error('no');
    };
    await expect(
      createSession(unetPath, dir, { provider: 'cuda', deterministic: true }, failing),
    ).rejects.toThrow(ModelFolderError);
    expect(
      calls.map((c) => (c.extra as { session: Record<string, unknown> }).session.use_deterministic_compute),
    ).toEqual(['1', '1']);
    const plain: ort.InferenceSession.SessionOptions[] = [];
    await createSession(unetPath, dir, { provider: 'cpu' }, async (_p, options) => {
      plain.push(options);
      return {} as ort.InferenceSession;
    });
    expect((plain[0].extra as { session: Record<string, unknown> }).session).not.toHaveProperty(
      'use_deterministic_compute',
    );
  });

  it('onnxruntime reads the key: a real session accepts 1 and rejects a non-boolean value', async () => {
    const created = await createSession(unetPath, dir, { provider: 'cpu', deterministic: true });
    expect(created.provider).toBe('cpu');
    await created.session.release();
    const ortModule = await import('onnxruntime-node');
    await expect(
      ortModule.InferenceSession.create(unetPath, {
        executionProviders: ['cpu'],
        extra: { session: { use_deterministic_compute: 'maybe' } },
      }),
    ).rejects.toThrow(/use_deterministic_compute' must be a boolean/);
  });
});

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

describe('a session on the chosen provider', () => {
  it('never falls back per network: a GPU session that fails is an error naming the file and provider', async () => {
    // This machine has no CUDA provider library: onnxruntime refuses, and so must we.
    const attempt = createSession(unetPath, dir, { provider: 'cuda' });
    await expect(attempt).rejects.toThrow(ModelFolderError);
    await expect(attempt).rejects.toThrow(/unet\/model\.onnx: onnxruntime cannot load it on cuda: /);
  });

  it('asks each provider with its explicit options', async () => {
    const calls: ort.InferenceSession.SessionOptions[] = [];
    const recording: SessionFactory = async (_path, options) => {
      calls.push(options);
      return {} as ort.InferenceSession;
    };
    await createSession(unetPath, dir, { provider: 'cuda', deviceId: 1 }, recording);
    await createSession(unetPath, dir, { provider: 'webgpu', webgpuLayout: 'NCHW' }, recording);
    await createSession(unetPath, dir, { provider: 'cpu', threads: 2 }, recording);
    expect(calls.map((c) => c.executionProviders)).toEqual([
      [{ name: 'cuda', deviceId: 1 }],
      [{ name: 'webgpu', preferredLayout: 'NCHW', validationMode: 'basic' }],
      ['cpu'],
    ]);
    expect(calls.every((c) => c.graphOptimizationLevel === 'all')).toBe(true);
    expect(calls[2].intraOpNumThreads).toBe(2);
  });

  it('logs the provider in use', async () => {
    const logs: string[] = [];
    const created = await createSession(unetPath, dir, {
      provider: 'cpu',
      log: (m, level) => logs.push(`${level} ${m}`),
    });
    expect(created.provider).toBe('cpu');
    expect(created.session.inputNames).toContain('sample');
    expect(logs).toEqual(['info unet/model.onnx: execution provider cpu']);
    await created.session.release();
  });

  it('deterministic: session.use_deterministic_compute=1 on whatever provider is asked', async () => {
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
    ).toEqual(['1']);
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

import type { JobInput } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { txt2imgJobInput } from '../store/scripts/test-support/job-input';
import { fingerprintOf } from './fingerprint';

const input = txt2imgJobInput();

const scope = { accountId: 'acct_a', livemode: true };

describe('fingerprintOf: guidance_rescale and clip_skip', () => {
  it('changes with them, and is unchanged when they are absent or 0', async () => {
    const plain = await fingerprintOf(input, {}, scope);
    expect(await fingerprintOf({ ...input, guidance_rescale: 0, clip_skip: 0 }, {}, scope)).toBe(plain);
    const rescaled = await fingerprintOf({ ...input, guidance_rescale: 0.7 }, {}, scope);
    const skipped = await fingerprintOf({ ...input, clip_skip: 1 }, {}, scope);
    expect(new Set([plain, rescaled, skipped]).size).toBe(3);
  });
});

describe('fingerprintOf: SDXL micro-conditioning', () => {
  it('changes with each field given, and is unchanged when none is', async () => {
    const plain = await fingerprintOf(input, {}, scope);
    const prints = await Promise.all(
      [
        { original_size: [1024, 1024] },
        { original_size: [1024, 512] },
        { crops_coords_top_left: [0, 64] },
        { target_size: [1024, 1024] },
        { negative_original_size: [1024, 1024] },
        { aesthetic_score: 6 },
        { negative_aesthetic_score: 2.5 },
      ].map((extra) => fingerprintOf({ ...input, ...(extra as Partial<JobInput>) }, {}, scope)),
    );
    expect(new Set([plain, ...prints]).size).toBe(8);
  });

  it('a base + refiner job differs by refiner, its version and denoising_end', async () => {
    const job = { ...input, refiner: 'r', refiner_version: 'r1', denoising_end: 0.8 };
    const prints = await Promise.all(
      [
        input,
        job,
        { ...job, refiner_version: 'r2' },
        { ...job, denoising_end: 0.7 },
        { ...job, refiner: 's' },
      ].map((i) => fingerprintOf(i, {}, scope)),
    );
    expect(new Set(prints).size).toBe(5);
  });
});

describe('fingerprintOf: noise source and Karras sigmas', () => {
  it('tells the noise source and Karras sigmas apart (they change the image)', async () => {
    const of = (extra: Partial<JobInput>) => fingerprintOf({ ...input, ...extra }, {}, scope);
    const torch = await of({ rng: 'torch' });
    expect(await of({ rng: 'xoshiro128' })).not.toBe(torch);
    expect(await of({ rng: 'torch', use_karras_sigmas: true })).not.toBe(torch);
  });

  it('reads absent fields as their defaults (torch, no Karras sigmas)', async () => {
    expect(await fingerprintOf(input, {}, scope)).toBe(
      await fingerprintOf({ ...input, rng: 'torch', use_karras_sigmas: false }, {}, scope),
    );
  });
});

describe('fingerprintOf: upscaling requests', () => {
  it('differs by noise_level, by upscale and by the upscaler version; and from the plain request', async () => {
    const plain = await fingerprintOf(input, {}, scope);
    const upscale = { ...input, task: 'upscale' as const, model: 'demo-upscaler' };
    const at20 = await fingerprintOf({ ...upscale, noise_level: 20 }, { image_sha256: 'a' }, scope);
    const at30 = await fingerprintOf({ ...upscale, noise_level: 30 }, { image_sha256: 'a' }, scope);
    expect(at20).not.toBe(at30);
    const chained = {
      ...input,
      upscale: 4 as const,
      noise_level: 20,
      upscaler: 'demo-upscaler',
      upscaler_steps: 20,
    };
    const v1 = await fingerprintOf({ ...chained, upscaler_version: 'u1' }, {}, scope);
    const v2 = await fingerprintOf({ ...chained, upscaler_version: 'u2' }, {}, scope);
    expect(new Set([plain, v1, v2]).size).toBe(3);
  });
});

describe('fingerprintOf: scope', () => {
  it('differs by account and by livemode, so no account or mode reaches the cached answer of another', async () => {
    const plain = await fingerprintOf(input, {}, scope);
    const otherAccount = await fingerprintOf(input, {}, { ...scope, accountId: 'acct_b' });
    const testMode = await fingerprintOf(input, {}, { ...scope, livemode: false });
    expect(new Set([plain, otherAccount, testMode]).size).toBe(3);
  });
});

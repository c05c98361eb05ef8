import { HeartbeatRequest, LIMITS } from '@ldm/shared';
import { describe, expect, it } from 'vitest';
import { progressLogs } from './replicate-prediction';

describe('progressLogs', () => {
  it('writes one tqdm line per step, the last one the step reached', () => {
    const lines = progressLogs({ step: 3, total: 4 }).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(' 75%|████████  | 3/4');
  });

  it('stays bounded whatever step a worker reported: at most stepsMax lines, never past the total', () => {
    const huge = progressLogs({ step: 1e9, total: 1e9 }).trimEnd().split('\n');
    expect(huge).toHaveLength(LIMITS.stepsMax);
    expect(huge.at(-1)).toContain(`| ${1e9}/${1e9}`);
    const past = progressLogs({ step: 500, total: 20 }).trimEnd().split('\n');
    expect(past).toHaveLength(20);
    expect(past.at(-1)).toBe('100%|██████████| 20/20');
  });
});

describe('HeartbeatRequest progress', () => {
  it('refuses a step or total over progressStepsMax and accepts a chained upscale total', () => {
    const beat = (step: number, total: number) =>
      HeartbeatRequest.safeParse({ lease_token: 't', progress: { step, total } }).success;
    expect(beat(LIMITS.progressStepsMax, LIMITS.progressStepsMax)).toBe(true);
    expect(beat(LIMITS.stepsMax + 4 * LIMITS.stepsMax, 750)).toBe(true);
    expect(beat(LIMITS.progressStepsMax + 1, LIMITS.progressStepsMax)).toBe(false);
    expect(beat(1, 1e9)).toBe(false);
  });
});

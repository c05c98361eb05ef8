import type { Generation } from '@ldm/shared';

/** A well-formed Generation object for scripted servers; fields a test cares about are overridden. */
export function generationFixture(overrides: Partial<Generation> = {}): Generation {
  const id = overrides.id ?? 'gen_test';
  return {
    id,
    model: 'demo-shapes',
    status: 'queued',
    input: {
      model: 'demo-shapes',
      model_version: '1',
      task: 'txt2img',
      prompt: 'a red circle',
      negative_prompt: '',
      width: 64,
      height: 64,
      steps: 4,
      guidance_scale: 5,
      scheduler: 'ddim',
      seed: 1,
      num_outputs: 1,
      output_format: 'png',
      strength: 0.8,
    },
    progress: null,
    outputs: [],
    error: null,
    cached: false,
    livemode: true,
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: null,
    completed_at: null,
    metrics: { queue_ms: null, inference_ms: null },
    usage: { units: 1 },
    urls: {
      get: `/v1/generations/${id}`,
      cancel: `/v1/generations/${id}/cancel`,
      events: `/v1/generations/${id}/events`,
    },
    ...overrides,
  };
}

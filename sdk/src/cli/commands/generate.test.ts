import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../command';
import { requestFromFlags } from './generate';

const tmp = mkdtempSync(join(tmpdir(), 'ldm-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const png = join(tmp, 'in.png');
writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));

describe('requestFromFlags', () => {
  it('maps every flag to its request field and sends nothing that was not given', () => {
    expect(requestFromFlags({}, 'a cat')).toEqual({ prompt: 'a cat' });
    const request = requestFromFlags(
      {
        width: '128',
        height: '96',
        steps: '30',
        guidance: '7.5',
        scheduler: 'euler',
        seed: '42',
        'num-outputs': '2',
        format: 'webp',
        negative: 'blurry',
        model: 'demo-shapes',
        task: 'txt2img',
        strength: '0.3',
        webhook: 'https://example.com/hook',
        'webhook-events': 'completed',
      },
      'a cat',
    );
    expect(request).toEqual({
      prompt: 'a cat',
      width: 128,
      height: 96,
      steps: 30,
      guidance_scale: 7.5,
      scheduler: 'euler',
      seed: 42,
      num_outputs: 2,
      output_format: 'webp',
      negative_prompt: 'blurry',
      model: 'demo-shapes',
      task: 'txt2img',
      strength: 0.3,
      webhook: 'https://example.com/hook',
      webhook_events_filter: ['completed'],
    });
  });

  it('infers the task from --image/--mask and the format from -o', () => {
    expect(requestFromFlags({ image: png }, 'x')).toMatchObject({
      task: 'img2img',
      image: expect.stringMatching(/^data:image\/png;base64,/),
    });
    expect(requestFromFlags({ image: png, mask: png }, 'x')).toMatchObject({ task: 'inpaint' });
    expect(requestFromFlags({ output: 'out.JPG' }, 'x')).toMatchObject({ output_format: 'jpeg' });
    expect(requestFromFlags({ output: 'out.jpg', format: 'png' }, 'x')).toMatchObject({
      output_format: 'png',
    });
  });

  it('refuses malformed flags locally, leaving range checks to the API', () => {
    expect(() => requestFromFlags({ width: '12.5' }, 'x')).toThrow(UsageError);
    expect(() => requestFromFlags({ guidance: 'high' }, 'x')).toThrow('--guidance must be a number');
    expect(() => requestFromFlags({ task: 'paint' }, 'x')).toThrow(
      '--task must be one of: txt2img, img2img, inpaint, upscale',
    );
    expect(() => requestFromFlags({ 'webhook-events': 'start,finish' }, 'x')).toThrow(/--webhook-events/);
    // Out of range but well formed: sent, so the API's error names the limit.
    expect(requestFromFlags({ width: '100000' }, 'x')).toMatchObject({ width: 100000 });
  });
});

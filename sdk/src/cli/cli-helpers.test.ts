import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LdmApiError, LdmConnectionError } from '../errors';
import type { ProgressUpdate } from '../wait-for-generation';
import { formatError } from './format-error';
import { imageFileToDataUrl } from './image-file';
import { formatFromPath, outputPaths } from './output-paths';
import { ProgressBar } from './progress-bar';
import { resolveConnection } from './resolve-connection';

const tmp = mkdtempSync(join(tmpdir(), 'ldm-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('resolveConnection', () => {
  const project = join(tmp, 'project');
  const nested = join(project, 'a', 'b');
  mkdirSync(join(project, '.data'), { recursive: true });
  mkdirSync(nested, { recursive: true });
  writeFileSync(
    join(project, '.data', 'stack.json'),
    JSON.stringify({ base_url: 'http://127.0.0.1:8787', api_key: 'ldm_test_stack' }),
  );

  it('finds .data/stack.json in a parent directory', () => {
    const c = resolveConnection({ flags: {}, env: {}, cwd: nested });
    expect(c).toMatchObject({ baseUrl: 'http://127.0.0.1:8787', apiKey: 'ldm_test_stack' });
    expect(c.sources.apiKey).toBe(join(project, '.data', 'stack.json'));
  });

  it('prefers flags to the environment to the file', () => {
    const env = { LDM_BASE_URL: 'https://env.example', LDM_API_KEY: 'ldm_live_env' };
    expect(resolveConnection({ flags: {}, env, cwd: nested })).toMatchObject({
      baseUrl: 'https://env.example',
      apiKey: 'ldm_live_env',
    });
    const flags = { baseUrl: 'https://flag.example/', apiKey: 'ldm_live_flag' };
    expect(resolveConnection({ flags, env, cwd: nested })).toMatchObject({
      baseUrl: 'https://flag.example',
      apiKey: 'ldm_live_flag',
    });
  });

  it("never pairs the local stack's key with another server", () => {
    expect(() =>
      resolveConnection({ flags: { baseUrl: 'https://api.example' }, env: {}, cwd: nested }),
    ).toThrow(/no API key for https:\/\/api\.example/);
    // The same URL as the file's (trailing slash aside) may use its key.
    expect(
      resolveConnection({ flags: { baseUrl: 'http://127.0.0.1:8787/' }, env: {}, cwd: nested }).apiKey,
    ).toBe('ldm_test_stack');
  });

  it('says what to do when nothing is configured, and refuses a malformed URL', () => {
    expect(() => resolveConnection({ flags: {}, env: {}, cwd: tmp })).toThrow(/npm start/);
    expect(() =>
      resolveConnection({ flags: { baseUrl: 'not a url', apiKey: 'k' }, env: {}, cwd: tmp }),
    ).toThrow(/is not a URL/);
  });
});

describe('formatError', () => {
  it('lists each field with its numeric limit, and omits a limit the message already spells', () => {
    const error = new LdmApiError('validation_error', 'x', 422, 'req_1', [
      { field: 'width', message: 'must be a multiple of 8', limit: 8 },
      { field: 'scheduler', message: 'must be one of: ddim, euler', limit: 'ddim, euler' },
    ]);
    expect(formatError(error)).toBe(
      'validation_error: width must be a multiple of 8 (limit 8); scheduler must be one of: ddim, euler',
    );
  });

  it('adds the request id to server errors and the wait to rate limits', () => {
    expect(formatError(new LdmApiError('internal_error', 'boom', 500, 'req_9'))).toBe(
      'internal_error: boom (request req_9)',
    );
    expect(formatError(new LdmApiError('rate_limited', 'slow down', 429, 'req_2', [], 12))).toBe(
      'rate_limited: slow down (retry after 12 s)',
    );
  });

  it('hints at npm start only for a local URL', () => {
    const e = new LdmConnectionError('GET /v1/account failed: connect ECONNREFUSED');
    expect(formatError(e, 'http://127.0.0.1:8787')).toMatch(/npm start\)$/);
    expect(formatError(e, 'https://api.example')).not.toMatch(/npm start/);
  });
});

describe('output paths', () => {
  it('uses -o as given for one image and numbers several', () => {
    expect(outputPaths('out.png', 'gen_1', ['image/png'])).toEqual(['out.png']);
    expect(outputPaths('out.png', 'gen_1', ['image/png', 'image/png'])).toEqual(['out-1.png', 'out-2.png']);
    expect(outputPaths(undefined, 'gen_1', ['image/jpeg'])).toEqual(['gen_1.jpg']);
    expect(outputPaths('shots/cat', 'gen_1', ['image/webp'])).toEqual(['shots/cat.webp']);
  });

  it('reads the format from the extension', () => {
    expect([
      formatFromPath('a.WEBP'),
      formatFromPath('a.jpg'),
      formatFromPath('a.jpeg'),
      formatFromPath('a'),
    ]).toEqual(['webp', 'jpeg', 'jpeg', undefined]);
  });
});

describe('imageFileToDataUrl', () => {
  it('accepts a PNG by its magic number and refuses other files', () => {
    const png = join(tmp, 'in.png');
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
    expect(imageFileToDataUrl(png, '--image')).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    const text = join(tmp, 'in.txt');
    writeFileSync(text, 'hello');
    expect(() => imageFileToDataUrl(text, '--image')).toThrow(
      '--image: ' + text + ' is not a PNG, JPEG or WebP image',
    );
    expect(() => imageFileToDataUrl(join(tmp, 'missing.png'), '--mask')).toThrow(/^--mask: cannot read/);
  });
});

describe('ProgressBar', () => {
  const update = (step: number, status: ProgressUpdate['status'] = 'running'): ProgressUpdate => ({
    id: 'gen_1',
    status,
    step,
    total: 4,
    fraction: step / 4,
    generation: {} as ProgressUpdate['generation'],
  });

  it('redraws one line on a terminal and ends it on finish', () => {
    let out = '';
    const bar = new ProgressBar({ isTTY: true, columns: 80, write: (t: string) => (out += t) }, 'gen_1');
    bar.update(update(1));
    bar.update(update(2));
    bar.finish();
    const frames = out.split('\r\x1b[2K').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[1]).toMatch(/^gen_1 █+░+ {2}50% step 2\/4 running \d+\.\ds\n$/);
    expect(frames[1].length).toBeLessThanOrEqual(81);
  });

  it('prints one plain line per change when not a terminal', () => {
    let out = '';
    const bar = new ProgressBar({ isTTY: false, write: (t: string) => (out += t) }, 'gen_1');
    bar.update(update(1));
    bar.update(update(4, 'succeeded'));
    bar.finish();
    expect(out).toMatch(/^gen_1 running step 1\/4 [\d.]+s\ngen_1 succeeded step 4\/4 [\d.]+s\n$/);
    expect(out).not.toContain('\x1b');
  });
});

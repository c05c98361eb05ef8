import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from './spool';

const dirs: string[] = [];
const tempSpool = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldm-spool-test-'));
  dirs.push(dir);
  const spool = new Spool(dir);
  await spool.init();
  return spool;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const output = (index: number, text: string) => ({
  index,
  bytes: new TextEncoder().encode(text),
  contentType: 'image/png',
  extension: 'png',
  width: 64,
  height: 64,
  seed: 7 + index,
});

describe('result spool', () => {
  it('keeps a saved result across a new Spool on the same folder (restart) until removed', async () => {
    const spool = await tempSpool();
    await spool.save({ job_id: 'gen_1', lease_token: 'lt_a', model: 'm', inference_ms: 12 }, [
      output(0, 'zero'),
      output(1, 'one'),
    ]);
    const again = new Spool(spool.dir);
    const { results, discarded } = await again.recover();
    expect(discarded).toEqual([]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ job_id: 'gen_1', lease_token: 'lt_a', inference_ms: 12 });
    const bytes = await again.readOutput('gen_1', results[0].outputs[1]);
    expect(bytes.toString()).toBe('one');
    await again.remove('gen_1');
    expect((await again.recover()).results).toEqual([]);
  });

  it('discards a folder whose result.json never landed (crash while writing)', async () => {
    const spool = await tempSpool();
    mkdirSync(join(spool.dir, 'gen_half'));
    writeFileSync(join(spool.dir, 'gen_half', '0.png'), 'partial');
    const { results, discarded } = await spool.recover();
    expect(results).toEqual([]);
    expect(discarded).toEqual(['gen_half']);
    expect(existsSync(join(spool.dir, 'gen_half'))).toBe(false);
  });

  it('cannot be pointed outside its folder by a job id', async () => {
    const spool = await tempSpool();
    await spool.save({ job_id: '../../escape', lease_token: 't', model: 'm', inference_ms: 0 }, [
      output(0, 'x'),
    ]);
    expect(readdirSync(spool.dir)).toHaveLength(1);
    expect((await spool.recover()).results[0].job_id).toBe('../../escape');
  });
});

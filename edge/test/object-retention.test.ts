import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeStack, startEdgeStack } from '../../test/support/edge-stack';
import { CRON_TRIGGERS } from '../src/cron/cron-triggers';
import { sweepExpiredObjects } from '../src/storage/object-retention';

// Stored images are deleted once older than the object retention, by the cron's sweep over
// Miniflare's R2 (the bucket's lifecycle rule does it in production). A 2 s retention here.
let stack: EdgeStack;

beforeAll(async () => {
  stack = await startEdgeStack({ vars: { OBJECT_RETENTION_SECONDS: '2' } });
});
afterAll(async () => {
  await stack?.stop();
});

const put = async (key: string) =>
  (await stack.mf.getR2Bucket('OUTPUTS')).put(key, new Uint8Array([1, 2, 3]).buffer);
const keysInBucket = async () => {
  const listed = await (await stack.mf.getR2Bucket('OUTPUTS')).list({ limit: 1000 });
  return listed.objects.map((o) => o.key).sort();
};

describe('stored-image retention', () => {
  it('the cron deletes outputs and inputs older than the retention, and nothing else', async () => {
    await put('outputs/acct_a/gen_old/0.png');
    await put('outputs/acct_a/gen_old/lease_1/1.png');
    await put('inputs/acct_a/gen_old/image.png');
    await put('notes/keep-me.txt');
    await new Promise((r) => setTimeout(r, 2_300));
    await put('outputs/acct_a/gen_new/0.png');

    const worker = await stack.mf.getWorker();
    await worker.scheduled({ cron: CRON_TRIGGERS.objectRetention.cron, scheduledTime: new Date() });
    expect(await keysInBucket()).toEqual(['notes/keep-me.txt', 'outputs/acct_a/gen_new/0.png']);
  });

  it('one page per run, resumed from the cursor: a bucket bigger than a page is swept over several runs', async () => {
    for (let i = 0; i < 7; i++) await put(`outputs/acct_b/gen_${i}/0.png`);
    await new Promise((r) => setTimeout(r, 2_300));
    const bucket = await stack.mf.getR2Bucket('OUTPUTS');
    const runs = [];
    for (let i = 0; i < 6; i++) {
      runs.push(
        await sweepExpiredObjects({
          // Miniflare's R2 proxy from Node has the R2Bucket methods the sweep uses.
          bucket,
          redis: stack.redis,
          retentionSeconds: 2,
          now: Date.now(),
          pageSize: 3,
        }),
      );
      if (runs.at(-1)?.wrapped) break;
    }
    expect(runs.every((r) => r.listed <= 3)).toBe(true);
    expect(runs.at(-1)?.wrapped).toBe(true);
    expect(await keysInBucket()).toEqual(['notes/keep-me.txt']);
  });
});

import { keys } from '../store/keys';

/** Objects listed per run: one R2 list call and at most one delete call (R2 deletes up to 1,000 keys at once). */
export const SWEEP_PAGE = 1_000;

/** The R2 calls the sweep makes (R2Bucket has them; so has Miniflare's bucket proxy in Node tests). */
export interface SweepBucket {
  list(options: { limit: number; cursor?: string }): Promise<{
    objects: { key: string; uploaded: Date }[];
    truncated: boolean;
    cursor?: string;
  }>;
  delete(keys: string[]): Promise<unknown>;
}

export interface SweepResult {
  listed: number;
  deleted: number;
  /** True when this run reached the end of the bucket and the next one starts over. */
  wrapped: boolean;
}

/**
 * Deletes stored images older than the object retention (objectRetentionFor): in production the
 * bucket's lifecycle rule (infra/cloudflare/r2-lifecycle.ts) does the same by itself; this sweep
 * makes it hold where no rule exists (`npm start`'s local R2, a bucket set up without the rule).
 * One page of the bucket per run, resumed from a cursor kept in Redis, so a run costs four
 * subrequests however big the bucket is; a full pass takes (objects / 1,000) runs.
 */
export async function sweepExpiredObjects(deps: {
  bucket: SweepBucket;
  redis: { get(key: string): Promise<unknown>; set(key: string, value: string): Promise<unknown> };
  retentionSeconds: number;
  now: number;
  pageSize?: number;
}): Promise<SweepResult> {
  const cursor = (await deps.redis.get(keys.objectSweep())) as string | null;
  const page = await deps.bucket.list({ limit: deps.pageSize ?? SWEEP_PAGE, ...(cursor ? { cursor } : {}) });
  const cutoff = deps.now - deps.retentionSeconds * 1000;
  const expired = page.objects
    .filter((o) => /^(outputs|inputs)\//.test(o.key) && o.uploaded.getTime() < cutoff)
    .map((o) => o.key);
  if (expired.length) await deps.bucket.delete(expired);
  // '' starts the next pass at the beginning; a single SET is atomic on its own.
  await deps.redis.set(keys.objectSweep(), page.truncated ? (page.cursor ?? '') : '');
  return { listed: page.objects.length, deleted: expired.length, wrapped: !page.truncated };
}

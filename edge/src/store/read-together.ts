import type { Redis } from '@upstash/redis/cloudflare';

/** Adds one read to the pipeline (e.g. `(p) => p.hgetall(key)`). */
export type ReadInPipeline = (pipeline: ReturnType<Redis['pipeline']>) => void;

/**
 * Runs several reads in one REST request (`/pipeline`). @upstash/redis leaves HGETALL, LRANGE and
 * ZRANGE (among others) out of auto-pipelining, so issuing them in one tick does not batch them:
 * a page of N records would cost N requests. Replies come back in order, raw (no deserialization,
 * like the edge's clients); an error in one read fails the whole call.
 */
export async function readTogether(redis: Redis, reads: readonly ReadInPipeline[]): Promise<unknown[]> {
  if (reads.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const read of reads) read(pipeline);
  return pipeline.exec();
}

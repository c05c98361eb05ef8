import { type Generation, ListQuery } from '@ldm/shared';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { ApiError } from '../../errors/api-error';
import { fieldIssues } from '../../errors/zod-issues';
import { generationView } from '../../generations/generation-view';
import { decodeCursor, encodeCursor } from '../../generations/list-cursor';
import { loadOwnJob, settledJob, viewOptions } from '../../generations/load-generation';
import { hashFromReply } from '../../store/hash-reply';
import { keys } from '../../store/keys';
import { readTogether } from '../../store/read-together';

type Scored = { id: string; score: number };

/** Most index entries sharing one created ms that a cursor page reads (a caller cannot lengthen it). */
const MAX_TIES_READ = 1_000;

function pairs(flat: unknown[]): Scored[] {
  const out: Scored[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: String(flat[i]), score: Number(flat[i + 1]) });
  return out;
}

/** GET /v1/generations/{id} and GET /v1/generations (newest first, cursor pages). */
export const readGenerations = new Hono<AppEnv>()
  .get('/', async (c) => {
    const parsed = ListQuery.safeParse({ limit: c.req.query('limit'), cursor: c.req.query('cursor') });
    if (!parsed.success) {
      const details = fieldIssues(parsed.error);
      throw new ApiError(
        'validation_error',
        details.map((d) => `${d.field}: ${d.message}`).join('; '),
        details,
      );
    }
    const { limit, cursor } = parsed.data;
    const redis = c.get('redis');
    const caller = c.get('caller');
    const index = keys.accountJobs(caller.accountId);
    let page: Scored[];
    if (cursor) {
      const after = decodeCursor(cursor);
      // Ties on the created ms are ordered by id (descending under REV): both reads share one request.
      const [sameScore, older] = (await readTogether(redis, [
        // Bounded: ties are submits of one account within one millisecond; a page needs at most
        // limit + 1 of them, but the ids below the cursor's come after the ones above it.
        (p) =>
          p.zrange(index, after.score, after.score, {
            byScore: true,
            rev: true,
            offset: 0,
            count: MAX_TIES_READ,
          }),
        (p) =>
          p.zrange(index, `(${after.score}`, '-inf', {
            byScore: true,
            rev: true,
            offset: 0,
            count: limit + 1,
            withScores: true,
          }),
      ])) as [string[], unknown[]];
      const ties = sameScore.filter((id) => id < after.id).map((id) => ({ id, score: after.score }));
      page = [...ties, ...pairs(older)];
    } else {
      const newest = await redis.zrange<unknown[]>(index, '+inf', '-inf', {
        byScore: true,
        rev: true,
        offset: 0,
        count: limit + 1,
        withScores: true,
      });
      page = pairs(newest);
    }
    const more = page.length > limit;
    page = page.slice(0, limit);
    // The page's records in one REST request, whatever the page size.
    const records = await readTogether(
      redis,
      page.map((item) => (p) => p.hgetall(keys.job(item.id))),
    );
    const options = viewOptions(c);
    const data: Generation[] = [];
    for (const [i, item] of page.entries()) {
      const job = hashFromReply(records[i]);
      // Expired records still indexed are skipped (the next submit trims the index).
      if (!job || job.account_id !== caller.accountId) continue;
      data.push(await generationView(item.id, await settledJob(c, item.id, job), options));
    }
    const last = page.at(-1);
    return c.json({ data, next_cursor: more && last ? encodeCursor(last) : null });
  })
  .get('/:id', async (c) => {
    const id = c.req.param('id');
    const job = await loadOwnJob(c, id);
    return c.json(await generationView(id, job, viewOptions(c)));
  });

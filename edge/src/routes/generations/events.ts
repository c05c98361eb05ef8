import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../../context';
import { generationView } from '../../generations/generation-view';
import { isTerminal, loadOwnJob, settledJob, viewOptions } from '../../generations/load-generation';
import { hashFromReply } from '../../store/hash-reply';
import { keys } from '../../store/keys';

/** A stream is closed after this long (clients reconnect); keeps a forgotten tab from polling forever. */
const MAX_STREAM_MS = 10 * 60_000;
/** Comment lines keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * GET /v1/generations/{id}/events: server-sent events. `status` when the status changes (the
 * last one, on a terminal status, carries the whole Generation with its outputs), `progress` when
 * the step changes; the stream ends after the terminal status.
 */
export const generationEvents = new Hono<AppEnv>().get('/:id/events', async (c) => {
  const id = c.req.param('id');
  let job = await loadOwnJob(c, id);
  const { redis, config } = c.var;
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
    });
    const started = Date.now();
    let lastStatus = '';
    let lastStep = '';
    let lastWrite = Date.now();
    let seq = 0;
    while (!aborted) {
      if (job.status !== lastStatus) {
        lastStatus = job.status;
        const data = isTerminal(job.status)
          ? await generationView(id, job, viewOptions(c))
          : { id, status: job.status };
        await stream.writeSSE({ event: 'status', data: JSON.stringify(data), id: String(++seq) });
        lastWrite = Date.now();
      }
      if (isTerminal(job.status)) break;
      const step = `${job.progress_step ?? ''}/${job.progress_total ?? ''}`;
      if (job.progress_total && step !== lastStep) {
        lastStep = step;
        const progress = { step: Number(job.progress_step ?? 0), total: Number(job.progress_total) };
        await stream.writeSSE({ event: 'progress', data: JSON.stringify(progress), id: String(++seq) });
        lastWrite = Date.now();
      }
      if (Date.now() - started > MAX_STREAM_MS) break;
      if (Date.now() - lastWrite > KEEPALIVE_MS) {
        await stream.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await stream.sleep(config.pollIntervalMs);
      const fresh = hashFromReply(await redis.hgetall(keys.job(id)));
      if (!fresh) break;
      job = await settledJob(c, id, fresh);
    }
  });
});

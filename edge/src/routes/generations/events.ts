import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../../context';
import type { SeenJobWakes } from '../../durable/job-watch';
import { generationView } from '../../generations/generation-view';
import { isTerminal, loadOwnJob, viewOptions } from '../../generations/load-generation';
import { nextJobState } from '../../generations/wait-for-result';
import { holdWatchSlot } from '../../generations/watch-slot';

/** A stream is closed after this long (clients reconnect); keeps a forgotten tab from holding a slot forever. */
const MAX_STREAM_MS = 10 * 60_000;
/** Comment lines keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * GET /v1/generations/{id}/events: server-sent events. `status` when the status changes (the
 * last one, on a terminal status, carries the whole Generation with its outputs), `progress` when
 * the step changes; the stream ends after the terminal status. Each open stream holds one of its
 * account's watch slots (MAX_WATCHES_PER_ACCOUNT, 429 beyond) and reads Redis only when the job's
 * wake point says it changed, or at the safety poll (POLL_INTERVAL_MS, 10 s by default).
 */
export const generationEvents = new Hono<AppEnv>().get('/:id/events', async (c) => {
  const id = c.req.param('id');
  let job = await loadOwnJob(c, id);
  const release = await holdWatchSlot(c, MAX_STREAM_MS);
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
    });
    try {
      const started = Date.now();
      const seen: SeenJobWakes = new Map();
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
        const left = MAX_STREAM_MS - (Date.now() - started);
        if (left <= 0) break;
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        // Parked until the job changes (a wake) or the safety poll; never longer than a keep-alive.
        const fresh = await nextJobState(c, id, job, Math.min(left, KEEPALIVE_MS), seen);
        if (!fresh) break;
        job = fresh;
      }
    } finally {
      await release();
    }
  });
});

import type { ErrorBody, Generation } from '@ldm/shared';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { engineStream } from '../../compat/engine-call';
import { progressLogs, SIGNED_STREAMS_PER_PREDICTION, streamPath } from '../../compat/replicate-prediction';
import type { AppEnv, Caller } from '../../context';
import { signedStreamWatchPool } from '../../durable/job-watch';
import { ApiError } from '../../errors/api-error';
import { checkSignature } from '../../lib/signed-url';
import { apiKeyAuth } from '../../middleware/api-key-auth';
import type { KeyRateLimit } from '../../middleware/rate-limit';
import { hmget } from '../../store/hash-reply';
import { keys } from '../../store/keys';

/**
 * Splits an SSE text stream into {event, data} records (the engine writes one data line each) and
 * `keep-alive` for its comment blocks.
 */
async function* sseEvents(
  reader: ReadableStreamDefaultReader<string>,
): AsyncGenerator<{ event: string; data: string }> {
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
      }
      // A comment-only block is the engine's keep-alive: passed on as `keep-alive`.
      if (data) yield { event, data };
      else if (block.startsWith(':')) yield { event: 'keep-alive', data: '' };
      end = buffer.indexOf('\n\n');
    }
  }
}

/**
 * GET /predictions/{id}/stream: Replicate's server-sent events, translated from the engine's
 * `/v1/generations/{id}/events`: `logs` (a progress line per step), `output` (each image URL),
 * `done` (`{}`, or `{"reason":"canceled"}`), `error`. `replicate.stream()` opens `urls.stream`
 * without the key, so the signed URL the prediction hands out is enough; the API key works too.
 */
export function predictionStream(rateLimit: KeyRateLimit) {
  const keyAuth = apiKeyAuth({ rateLimit });
  return new Hono<AppEnv>().get('/predictions/:id/stream', async (c) => {
    const id = c.req.param('id');
    const sig = c.req.query('sig');
    if (sig === undefined) {
      await keyAuth(c, async () => {});
    } else {
      const check = await checkSignature(
        c.get('config').urlSigningSecret,
        streamPath(id),
        c.req.query('expires') ?? '',
        sig,
        Math.floor(Date.now() / 1000),
      );
      if (check === 'invalid') throw new ApiError('forbidden', 'The signature of this URL is not valid.');
      if (check === 'expired')
        throw new ApiError('url_expired', 'This stream URL has expired; get the prediction again.');
      const [account] = /^gen_[0-9A-Za-z]{1,64}$/.test(id)
        ? await hmget(c.get('redis'), keys.job(id), 'account_id')
        : [null];
      if (!account) throw new ApiError('not_found', `No prediction ${id}.`);
      // The signature stands for the owner: the engine reads the job as that account's.
      const owner: Caller = {
        accountId: account,
        keyId: 'signed-url',
        keyHash: '',
        mode: 'live',
        plan: 'free',
        rpmLimit: 0,
        concurrencyLimit: 0,
        safetyChecker: null,
      };
      c.set('caller', owner);
      c.set('watchPool', {
        name: signedStreamWatchPool(id),
        limit: SIGNED_STREAMS_PER_PREDICTION,
        holders: "This prediction's signed stream URL",
        per: 'signed stream URL',
      });
    }
    const events = await engineStream(c, `/${encodeURIComponent(id)}/events`);
    if (!events.ok || !events.body) {
      const { error } = (await events.json()) as ErrorBody;
      // The engine's answer as it was: details and Retry-After (a too_many_watches 429) included.
      const retryAfter = events.headers.get('retry-after');
      throw new ApiError(
        error.code,
        error.message,
        error.details,
        retryAfter ? { 'Retry-After': retryAfter } : undefined,
      );
    }
    const reader = events.body.pipeThrough(new TextDecoderStream()).getReader();
    return streamSSE(c, async (stream) => {
      // A client gone is passed on to the engine's stream, which then gives its watch slot back.
      stream.onAbort(() => {
        reader.cancel().catch(() => {});
      });
      let logged = 0;
      for await (const { event, data } of sseEvents(reader)) {
        if (event === 'keep-alive') {
          // Written on, so that a client gone is noticed (a failed write is what fires onAbort).
          await stream.write(': keep-alive\n\n');
        } else if (event === 'progress') {
          const progress = JSON.parse(data) as { step: number; total: number };
          const lines = progressLogs(progress).split('\n').filter(Boolean);
          for (const line of lines.slice(logged)) await stream.writeSSE({ event: 'logs', data: line });
          logged = lines.length;
        } else if (event === 'status') {
          const status = JSON.parse(data) as Pick<Generation, 'status'> & Partial<Generation>;
          if (status.status === 'succeeded') {
            for (const output of status.outputs ?? [])
              await stream.writeSSE({ event: 'output', data: output.url });
            await stream.writeSSE({ event: 'done', data: '{}' });
          } else if (status.status === 'failed') {
            await stream.writeSSE({ event: 'error', data: status.error?.message ?? 'the prediction failed' });
          } else if (status.status === 'canceled') {
            await stream.writeSSE({ event: 'done', data: JSON.stringify({ reason: 'canceled' }) });
          }
        }
      }
    });
  });
}

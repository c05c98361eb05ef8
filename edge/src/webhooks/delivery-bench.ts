/// <reference types="node" />
/**
 * Webhook delivery figures on the local stack (edge in workerd, Redis behind the Upstash bridge,
 * receiver on 127.0.0.1): `npx tsx edge/src/webhooks/delivery-bench.ts [events]`.
 *  1. latency from the cancel call's answer to the receiver having the signed `completed` event
 *     (first attempt from the request's waitUntil);
 *  2. one cron run sending a backlog of due retries (throughput per run).
 */
import { startEdgeStack } from '@ldm/test/support/edge-stack';
import { CRON_TRIGGERS } from '../cron/cron-triggers';
import { WebhookReceiver } from './test-support/webhook-receiver';

const events = Number(process.argv[2] ?? 200);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

const [stack, receiver] = await Promise.all([startEdgeStack(), WebhookReceiver.start()]);
try {
  const account = await stack.createAccount({
    credits: 1e9,
    limits: { concurrent_jobs: 10_000, requests_per_minute: 100_000 },
  });
  const json = { ...account.headers, 'content-type': 'application/json' };
  const submitAndCancel = async (path: string) => {
    const res = await stack.fetch('/v1/generations', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        prompt: 'bench',
        webhook: receiver.url(path),
        webhook_events_filter: ['completed'],
      }),
    });
    const { id } = (await res.json()) as { id: string };
    await stack.fetch(`/v1/generations/${id}/cancel`, { method: 'POST', headers: account.headers });
    return id;
  };

  const latencies: number[] = [];
  for (let i = 0; i < 30; i++) {
    const path = `/latency-${i}`;
    await submitAndCancel(path);
    const answered = Date.now();
    const [got] = await receiver.waitFor(path, 1);
    latencies.push(got.receivedAt - answered);
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `first attempt after the causing request answered (30 events): median ${pct(latencies, 0.5)} ms, p95 ${pct(latencies, 0.95)} ms`,
  );

  // A backlog: every first attempt fails, then one cron run at the retry time sends them all.
  receiver.on('/backlog', (_, r) =>
    receiver.at('/backlog').filter((x) => x.body === r.body).length === 1 ? 503 : 200,
  );
  await Promise.all(Array.from({ length: events }, () => submitAndCancel('/backlog')));
  await receiver.waitFor('/backlog', events, 60_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const runtime = await stack.mf.getWorker();
  let sent = 0;
  let runs = 0;
  const started = performance.now();
  while (sent < events && runs < 20) {
    await runtime.scheduled({
      scheduledTime: new Date(Date.now() + 60_000),
      cron: CRON_TRIGGERS.webhookDelivery.cron,
    });
    runs++;
    sent = receiver.at('/backlog').length - events;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `cron backlog: ${sent} retries sent in ${runs} cron run(s), ${seconds.toFixed(2)} s, ${(sent / seconds).toFixed(0)} deliveries/s`,
  );
} finally {
  await Promise.all([stack.stop(), receiver.stop()]);
}

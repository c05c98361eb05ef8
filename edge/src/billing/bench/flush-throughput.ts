/// <reference types="node" />
/**
 * `npm run bench:billing [events]`: how many usage events per second the meter flush reports to
 * Stripe, through the real code path: synthetic outbox entries shaped like the settling scripts'
 * (job, account, model, units, at) go through flushUsage with its default options (as the cron
 * runs it) and the real `stripe` SDK to the local Stripe recorder, over the Upstash REST bridge to
 * a private redis-server. Both APIs: the v2 meter event stream (default) and v1 meter events.
 *
 * Prints, per API: the drain rate (events/s while flushing), the events one flush reports at most
 * (its subrequest and event budget), and the sustained ceiling with one cron run per minute:
 * min(events per run, drain rate x 20 s budget) / 60 s.
 */
import { startRedisWithBridge } from '@ldm/infra/local/test-stack';
import { Redis } from '@upstash/redis';
import type { Config } from '../../env';
import { keys } from '../../store/keys';
import { flushUsage, type MeterApi } from '../flush-usage';
import { linkStripeCustomer } from '../scripts/stripe-link-scripts';
import { stripeClient } from '../stripe-client';
import { startStripeRecorder } from '../test-support/stripe-recorder';

// More than one flush reports (30,000 with the stream), so the per-run ceiling shows.
const EVENTS = Number(process.argv[2] ?? 40_000);
const stack = await startRedisWithBridge();
const recorder = await startStripeRecorder();
const redis = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });

async function fillOutbox(count: number, prefix: string) {
  const now = Date.now();
  for (let i = 0; i < count; i += 2_000) {
    const tx = redis.pipeline();
    for (let j = i; j < Math.min(count, i + 2_000); j++) {
      tx.xadd(keys.usageOutbox(), '*', {
        job: `gen_${prefix}_${j}`,
        account: 'acct_bench',
        model: 'demo-shapes',
        units: 1.8192,
        at: now,
      });
    }
    await tx.exec();
  }
}

try {
  for (const api of ['stream', 'events'] as MeterApi[]) {
    // v1 is one call per event: a smaller backlog says the same in less time.
    const events = api === 'stream' ? EVENTS : Math.min(EVENTS, 2_000);
    await redis.flushall();
    recorder.accepted.length = 0;
    await redis.hset(keys.account('acct_bench'), { id: 'acct_bench', credits: 0 });
    await linkStripeCustomer(redis, 'acct_bench', 'cus_Bench');
    await fillOutbox(events, api);
    const stripeConfig: Config['stripe'] = {
      secretKey: 'sk_test_bench',
      webhookSecret: '',
      apiBase: recorder.url,
      meterEventName: 'ldm_units',
      meterApi: api,
      timeoutMs: 10_000,
      retryBaseMs: 1_000,
      retryMaxMs: 10_000,
    };
    const started = performance.now();
    let sent = 0;
    let flushes = 0;
    let perRun = 0;
    let subrequests = 0;
    while (sent < events) {
      const report = await flushUsage({ redis, stripe: stripeClient(stripeConfig), stripeConfig });
      if (report.outcome !== 'flushed') throw new Error(`flush ${report.outcome}: ${report.error ?? ''}`);
      if (report.sent === 0) throw new Error('a flush sent nothing');
      sent += report.sent;
      perRun = Math.max(perRun, report.sent);
      subrequests = Math.max(subrequests, report.subrequests);
      flushes++;
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = events / seconds;
    const unique = new Set(recorder.accepted.map((e) => e.identifier)).size;
    // A run stops starting calls after its 20 s budget, so it reports at most rate x 20 s too.
    const sustained = Math.min(perRun, Math.round(rate * 20)) / 60;
    const bound = flushes === 1 ? ' (at least: one flush drained the whole backlog)' : '';
    console.log(
      `${api.padEnd(6)}: ${events} events in ${seconds.toFixed(2)} s = ${Math.round(rate)} events/s draining ` +
        `(${flushes} flush, at most ${perRun} events and ${subrequests} subrequests per flush, ` +
        `${unique} unique at the recorder, outbox left ${await redis.xlen(keys.usageOutbox())}); ` +
        `sustained with one cron run a minute: ${Math.round(sustained)} events/s${bound}`,
    );
  }
} finally {
  await recorder.stop();
  await stack.stop();
}

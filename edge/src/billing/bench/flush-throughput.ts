/// <reference types="node" />
/**
 * How fast the meter flush drains a backlog (after a Stripe outage, say): synthetic outbox entries
 * shaped like the settling scripts' (job, account, model, units, at) go through flushUsage to the
 * local Stripe recorder with the real SDK, over the Upstash REST bridge to a private redis-server.
 * Prints events/s per concurrency. `npx tsx edge/src/billing/bench/flush-throughput.ts [events]`
 */
import { startRedisWithBridge } from '@ldm/infra/local/test-stack';
import { Redis } from '@upstash/redis';
import type { Config } from '../../env';
import { keys } from '../../store/keys';
import { flushUsage } from '../flush-usage';
import { linkStripeCustomer } from '../scripts/stripe-link-scripts';
import { stripeClient } from '../stripe-client';
import { startStripeRecorder } from '../test-support/stripe-recorder';

const EVENTS = Number(process.argv[2] ?? 2_000);
const stack = await startRedisWithBridge();
const recorder = await startStripeRecorder();
const redis = new Redis({ url: stack.bridgeUrl, token: stack.token, automaticDeserialization: false });

try {
  for (const concurrency of [1, 8, 32]) {
    await redis.flushall();
    recorder.accepted.length = 0;
    await redis.hset(keys.account('acct_bench'), { id: 'acct_bench', credits: 0 });
    await linkStripeCustomer(redis, 'acct_bench', 'cus_Bench');
    const now = Date.now();
    for (let i = 0; i < EVENTS; i += 500) {
      const tx = redis.pipeline();
      for (let j = i; j < Math.min(EVENTS, i + 500); j++) {
        tx.xadd(keys.usageOutbox(), '*', {
          job: `gen_b${concurrency}_${j}`,
          account: 'acct_bench',
          model: 'demo-shapes',
          units: 1.8192,
          at: now,
        });
      }
      await tx.exec();
    }
    const stripeConfig: Config['stripe'] = {
      secretKey: 'sk_test_bench',
      webhookSecret: '',
      apiBase: recorder.url,
      meterEventName: 'ldm_units',
      timeoutMs: 10_000,
      retryBaseMs: 1_000,
      retryMaxMs: 10_000,
    };
    const started = performance.now();
    let sent = 0;
    let flushes = 0;
    while (sent < EVENTS) {
      const report = await flushUsage(
        { redis, stripe: stripeClient(stripeConfig), stripeConfig },
        { concurrency, maxEvents: EVENTS, budgetMs: 120_000 },
      );
      if (report.outcome !== 'flushed') throw new Error(`flush ${report.outcome}: ${report.error ?? ''}`);
      sent += report.sent;
      flushes++;
    }
    const seconds = (performance.now() - started) / 1000;
    const unique = new Set(recorder.accepted.map((e) => e.identifier)).size;
    console.log(
      `concurrency ${String(concurrency).padStart(2)}: ${EVENTS} events in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds)} events/s ` +
        `(${flushes} flush, ${unique} unique at the recorder, outbox left ${await redis.xlen(keys.usageOutbox())})`,
    );
  }
} finally {
  await recorder.stop();
  await stack.stop();
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Miniflare } from 'miniflare';

const WRANGLER_TOML = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

/** The `[triggers] crons` list of wrangler.toml: the triggers Cloudflare fires in production. */
export function wranglerCrons(toml = readFileSync(WRANGLER_TOML, 'utf8')): string[] {
  const list = /^\[triggers\][^[]*?^crons\s*=\s*\[([^\]]*)\]/ms.exec(toml)?.[1];
  if (!list) throw new Error(`no [triggers] crons in ${WRANGLER_TOML}`);
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

export interface CronTimer {
  /** Completed rounds (every trigger fired once per round). */
  readonly rounds: number;
  /** Stops firing and waits for a round in flight. */
  stop(): Promise<void>;
}

/**
 * Fires the Worker's `scheduled` handler locally, as Cloudflare's cron does in production: every
 * `intervalMs`, each trigger of wrangler.toml through workerd's scheduled event (Miniflare's
 * `getWorker().scheduled({ cron, scheduledTime })`, the event a deployed trigger raises, with
 * `controller.cron` set). Locally it fires every few seconds instead of every minute, so webhook
 * retries (first one after 5 s), the meter flush and the lease reaper run without waiting. A round
 * still running when the next is due is not doubled: that tick is skipped.
 */
export function startCronTimer(mf: Miniflare, options: { intervalMs: number; crons?: string[] }): CronTimer {
  const crons = options.crons ?? wranglerCrons();
  let rounds = 0;
  let inFlight: Promise<void> | null = null;
  const round = async () => {
    const worker = await mf.getWorker();
    for (const cron of crons) {
      await worker.scheduled({ cron, scheduledTime: new Date() }).catch((error: unknown) => {
        console.error(`local cron ${cron}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    rounds++;
  };
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = round().finally(() => {
      inFlight = null;
    });
  }, options.intervalMs);
  return {
    get rounds() {
      return rounds;
    },
    async stop() {
      clearInterval(timer);
      await inFlight?.catch(() => {});
    },
  };
}

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
  /** Scheduled events fired so far, counted as each one returns. */
  readonly fired: number;
  /** Stops firing and waits for the runs in flight. */
  stop(): Promise<void>;
}

/**
 * Fires the Worker's `scheduled` handler locally, as Cloudflare's cron does in production: every
 * `intervalMs`, each trigger of wrangler.toml through workerd's scheduled event (Miniflare's
 * `getWorker().scheduled({ cron, scheduledTime })`, the event a deployed trigger raises, with
 * `controller.cron` set). Locally it fires every few seconds instead of every minute, so webhook
 * retries (first one after 5 s), the meter flush and the lease reaper run without waiting.
 */
export function startCronTimer(mf: Miniflare, options: { intervalMs: number; crons?: string[] }): CronTimer {
  const crons = options.crons ?? wranglerCrons();
  let fired = 0;
  // Each trigger on its own, as Cloudflare fires them: a slow meter flush never holds back the
  // webhook retries. A trigger whose last run has not returned is skipped this tick, not doubled.
  const inFlight = new Map<string, Promise<void>>();
  const fire = (cron: string) => {
    const run = (async () => {
      const worker = await mf.getWorker();
      await worker.scheduled({ cron, scheduledTime: new Date() });
      fired++;
    })()
      .catch((error: unknown) => {
        console.error(`local cron ${cron}: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => inFlight.delete(cron));
    inFlight.set(cron, run);
  };
  const timer = setInterval(() => {
    for (const cron of crons) if (!inFlight.has(cron)) fire(cron);
  }, options.intervalMs);
  return {
    get fired() {
      return fired;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight.values());
    },
  };
}

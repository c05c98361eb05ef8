import type { Redis } from '@upstash/redis/cloudflare';
import type { Config } from '../env';

/** One housekeeping job run by a cron trigger (cron-schedules.ts says which and how often). */
export interface ScheduledTask {
  name: string;
  run(deps: { env: Env; config: Config; redis: Redis; now: number }): Promise<void>;
}

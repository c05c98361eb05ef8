import { SCRIPTS } from '../../lua/scripts.generated';
import { keys } from '../../store/keys';
import { type LuaScript, runScript, type ScriptRedis } from '../../store/scripts/run-script';

/** RECORD_WEBHOOK_ATTEMPT: record-webhook-attempt.lua (its header says what it takes and does). */
export const RECORD_WEBHOOK_ATTEMPT: LuaScript = SCRIPTS['record-webhook-attempt'];

/** One line of the delivery log, as GET /v1/generations/{id}/webhooks shows it. */
export interface AttemptEntry {
  attempt: number;
  at: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  /** When the next attempt is due (ms), or null when this was the last. */
  next_retry_at: number | null;
}

export interface RecordAttemptOptions {
  deliveryId: string;
  token: string;
  outcome: 'delivered' | 'retry' | 'failed';
  entry: AttemptEntry;
}

/** Returns false when the claim was no longer this sender's (nothing recorded). */
export async function recordWebhookAttempt(redis: ScriptRedis, o: RecordAttemptOptions): Promise<boolean> {
  const reply = await runScript<{ stale?: boolean }>(
    redis,
    RECORD_WEBHOOK_ATTEMPT,
    [keys.webhooksDue()],
    [
      o.deliveryId,
      o.token,
      o.outcome,
      String(o.entry.at),
      String(o.entry.next_retry_at ?? ''),
      JSON.stringify(o.entry),
      o.entry.status_code === null ? '' : String(o.entry.status_code),
    ],
  );
  return reply.stale !== true;
}

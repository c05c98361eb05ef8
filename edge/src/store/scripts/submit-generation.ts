import { SCRIPTS } from '../../lua/scripts.generated';
import { hashFromReply } from '../hash-reply';
import { keys, QUEUE_GROUP } from '../keys';
import { type LuaScript, runScript, type ScriptRedis } from './run-script';

export const SUBMIT_GENERATION: LuaScript = SCRIPTS['submit-generation'];

const TEMPLATES = JSON.stringify({
  job: keys.job('{}'),
  followers: keys.jobFollowers('{}'),
  usage_day: keys.usageDay('{}', '{}'),
  group: QUEUE_GROUP,
});

export interface SubmitParams {
  accountId: string;
  jobId: string;
  model: string;
  /** Job record fields (job-record.ts) the edge resolved; the script adds status, times, attempt. */
  fields: Record<string, string>;
  units: number;
  cacheHitUnits: number;
  concurrencyLimit: number;
  retentionSeconds: number;
  idempotency?: { keyHash: string; bodyHash: string; ttlSeconds: number };
  /** '' when the request is not cacheable (no seed). */
  fingerprint: string;
  /** UTC day, YYYY-MM-DD, for the usage ledger of a cache answer (its month keys the allowance). */
  day: string;
  /** Units the account's plan grants each calendar month, spent before the prepaid credits. Default 0. */
  monthlyAllowance?: number;
}

export type SubmitResult =
  | { outcome: 'created' | 'cached' | 'replayed'; jobId: string; job: Record<string, string> }
  | { outcome: 'coalesced'; jobId: string; job: Record<string, string>; leader: string }
  | { outcome: 'idempotency_conflict'; jobId: string }
  | { outcome: 'concurrency_limited'; active: number; limit: number }
  | { outcome: 'insufficient_credits'; available: number; needed: number }
  | { outcome: 'no_account' };

interface Reply {
  outcome: SubmitResult['outcome'];
  job_id?: string;
  job?: unknown;
  leader?: string;
  created_at?: string;
  stream_id?: string;
  active?: number;
  limit?: number;
  available?: number;
  needed?: number;
}

function flatFields(fields: Record<string, string>): string[] {
  const flat: string[] = [];
  for (const name in fields) flat.push(name, fields[name]);
  return flat;
}

/**
 * The record a new job was written with: the caller's fields plus what the script added (the
 * script does not send the record back for this, the common outcome; a test checks that this
 * equals the stored record field for field).
 */
function createdRecord(fields: Record<string, string>, units: string, reply: Reply): Record<string, string> {
  return {
    ...fields,
    status: 'queued',
    created_at: reply.created_at as string,
    attempt: '0',
    units_reserved: units,
    cached: '0',
    stream_id: reply.stream_id as string,
  };
}

/** Runs submit-generation.lua: one EVALSHA, whatever the outcome. */
export async function submitGeneration(redis: ScriptRedis, p: SubmitParams): Promise<SubmitResult> {
  const idemKey = p.idempotency
    ? keys.idempotency(p.accountId, p.idempotency.keyHash)
    : keys.idempotency(p.accountId, '');
  const units = String(p.units);
  const reply = await runScript<Reply>(
    redis,
    SUBMIT_GENERATION,
    [
      keys.account(p.accountId),
      keys.accountActive(p.accountId),
      keys.accountJobs(p.accountId),
      keys.job(p.jobId),
      keys.queue(p.model),
      keys.queuedModels(),
      idemKey,
      keys.cacheDone(p.fingerprint),
      keys.cacheLive(p.fingerprint),
      keys.usageOutbox(),
    ],
    [
      TEMPLATES,
      p.jobId,
      units,
      String(p.cacheHitUnits),
      String(p.concurrencyLimit),
      String(p.retentionSeconds),
      p.idempotency?.bodyHash ?? '',
      String(p.idempotency?.ttlSeconds ?? 0),
      p.fingerprint,
      p.model,
      p.day,
      String(p.monthlyAllowance ?? 0),
      ...flatFields(p.fields),
    ],
  );
  switch (reply.outcome) {
    case 'created':
      return {
        outcome: 'created',
        jobId: reply.job_id as string,
        job: createdRecord(p.fields, units, reply),
      };
    case 'cached':
    case 'replayed':
      return { outcome: reply.outcome, jobId: reply.job_id as string, job: hashFromReply(reply.job) ?? {} };
    case 'coalesced':
      return {
        outcome: 'coalesced',
        jobId: reply.job_id as string,
        job: hashFromReply(reply.job) ?? {},
        leader: reply.leader as string,
      };
    case 'idempotency_conflict':
      return { outcome: 'idempotency_conflict', jobId: reply.job_id as string };
    case 'concurrency_limited':
      return { outcome: 'concurrency_limited', active: Number(reply.active), limit: Number(reply.limit) };
    case 'insufficient_credits':
      return {
        outcome: 'insufficient_credits',
        available: Number(reply.available),
        needed: Number(reply.needed),
      };
    default:
      return { outcome: 'no_account' };
  }
}

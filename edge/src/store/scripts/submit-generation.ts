import { ApiError } from '../../errors/api-error';
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
  /**
   * Set for a test key (free, `units` 0): the plan's test generations per UTC day, which the
   * account's `test_quota` field overrides. Absent for a live key.
   */
  testQuota?: number;
}

export type SubmitResult =
  | { outcome: 'created' | 'cached' | 'replayed'; jobId: string; job: Record<string, string> }
  | { outcome: 'coalesced'; jobId: string; job: Record<string, string>; leader: string }
  | { outcome: 'idempotency_conflict'; jobId: string }
  | { outcome: 'concurrency_limited'; active: number; limit: number }
  | { outcome: 'test_quota_exceeded'; used: number; limit: number }
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
  used?: number;
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
      p.testQuota === undefined ? '' : String(p.testQuota),
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
    case 'test_quota_exceeded':
      return { outcome: 'test_quota_exceeded', used: Number(reply.used), limit: Number(reply.limit) };
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

/** The outcomes with a generation to show (new, cached, joined or replayed). */
export type SubmittedResult = Extract<SubmitResult, { job: Record<string, string> }>;

/** Every other outcome refuses the request: each as the API error it answers with. */
/** The test quota starts over at midnight UTC. */
const secondsToNextUtcDay = (now = Date.now()) =>
  Math.max(1, Math.ceil((86_400_000 - (now % 86_400_000)) / 1000));

export function assertSubmitted(result: SubmitResult): asserts result is SubmittedResult {
  switch (result.outcome) {
    case 'no_account':
      throw new ApiError('unauthorized', 'The account of this API key no longer exists.');
    case 'idempotency_conflict':
      throw new ApiError(
        'idempotency_conflict',
        `This Idempotency-Key was used for generation ${result.jobId} with a different body.`,
        [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
      );
    case 'concurrency_limited':
      throw new ApiError(
        'concurrency_limited',
        `${result.active} generations are queued or running; the limit is ${result.limit}.`,
        [{ field: '(account)', message: 'too many queued or running generations', limit: result.limit }],
        { 'Retry-After': '5' },
      );
    case 'test_quota_exceeded':
      throw new ApiError(
        'test_quota_exceeded',
        `Test keys of this account created ${result.used} generations today (UTC); the daily test quota is ${result.limit}. Use a live key, or retry after midnight UTC.`,
        [{ field: '(account)', message: 'daily test quota used up', limit: result.limit }],
        { 'Retry-After': String(secondsToNextUtcDay()) },
      );
    case 'insufficient_credits': {
      const shortfall = Math.round((result.needed - result.available) * 1e6) / 1e6;
      throw new ApiError(
        'insufficient_credits',
        `This generation costs ${result.needed} units; the account has ${result.available} (short by ${shortfall}).`,
        [{ field: 'credits', message: `short by ${shortfall} units`, limit: result.needed }],
      );
    }
  }
}

import { z } from 'zod';
import { SAFETY_MODES } from './limits';

export const PLANS = ['free', 'pro', 'enterprise'] as const;

export const Account = z
  .object({
    id: z.string(),
    name: z.string(),
    plan: z.enum(PLANS),
    credits: z.number().describe('Prepaid units available now (reserved units already subtracted).'),
    reserved: z.number().describe('Units held by queued and running jobs.'),
    monthly_allowance: z.number().describe('Units granted each calendar month by the plan.'),
    allowance_remaining: z.number(),
    limits: z.object({
      requests_per_minute: z.int(),
      concurrent_jobs: z.int(),
      test_generations_per_day: z
        .int()
        .describe(
          'Generations test keys (`ldm_test_...`) may create per UTC day; beyond it 429 `test_quota_exceeded`.',
        ),
    }),
    test_generations_today: z
      .int()
      .describe('Test-mode generations created this UTC day (free: they hold and spend no credits).'),
    stripe_customer: z.string().nullable(),
    safety_checker: z
      .enum(SAFETY_MODES)
      .nullable()
      .describe(
        "The operator's safety checker mode for this account's generations; null = each model's own.",
      ),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'Account' });
export type Account = z.infer<typeof Account>;

export const UsageQuery = z.object({
  from: z.iso.date().optional().describe('First day, inclusive (UTC, YYYY-MM-DD). Default: 30 days ago.'),
  to: z.iso.date().optional().describe('Last day, inclusive. Default: today.'),
  group_by: z.enum(['day', 'model']).default('day'),
});

export const Usage = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    group_by: z.enum(['day', 'model']),
    total_units: z.number(),
    total_jobs: z.int(),
    rows: z.array(z.object({ key: z.string(), units: z.number(), jobs: z.int() })),
  })
  .meta({ id: 'Usage' });
export type Usage = z.infer<typeof Usage>;

export const WebhookSecret = z
  .object({
    secret: z.string().describe('`whsec_...`: verify deliveries with any Standard Webhooks library.'),
    previous_secret_expires_at: z.iso.datetime().nullable().optional(),
  })
  .meta({ id: 'WebhookSecret' });

// Operator (admin) API.
export const CreateAccountRequest = z
  .strictObject({
    name: z.string().min(1).max(200),
    credits: z.number().min(0).max(1e12).default(0),
    plan: z.enum(PLANS).default('free'),
  })
  .meta({ id: 'CreateAccountRequest' });

export const CreateKeyRequest = z
  .strictObject({
    mode: z
      .enum(['live', 'test'])
      .default('live')
      .describe(
        "`test` keys (`ldm_test_...`) generate for free: no credits held or spent and no usage billed, limited to the account's `test_generations_per_day`; their generations carry `livemode: false` and share no cache with live keys.",
      ),
    name: z.string().max(200).optional(),
  })
  .meta({ id: 'CreateKeyRequest' });

export const CreatedKey = z
  .object({ id: z.string(), key: z.string().describe('Shown only once; only its SHA-256 is stored.') })
  .meta({ id: 'CreatedKey' });

export const AddCreditsRequest = z
  .strictObject({ amount: z.number().min(-1e12).max(1e12), reason: z.string().max(200).optional() })
  .meta({ id: 'AddCreditsRequest' });

export const UpdateAccountRequest = z
  .strictObject({
    plan: z.enum(PLANS).optional(),
    stripe_customer: z
      .string()
      .regex(/^cus_[A-Za-z0-9]+$/)
      .nullable()
      .optional(),
    name: z.string().min(1).max(200).optional(),
    safety_checker: z
      .enum(SAFETY_MODES)
      .nullable()
      .optional()
      .describe(
        "block, blur or off for every generation of this account; null returns to each model's mode.",
      ),
    limits: z
      .strictObject({
        requests_per_minute: z.int().min(1).max(1_000_000).nullable().optional(),
        concurrent_jobs: z.int().min(1).max(100_000).nullable().optional(),
        test_generations_per_day: z
          .int()
          .min(0)
          .max(1_000_000)
          .nullable()
          .optional()
          .describe('Daily quota of test-key generations (0 turns test keys off).'),
      })
      .optional()
      .describe("Per-account overrides of the plan's limits; null returns to the plan's."),
  })
  .meta({ id: 'UpdateAccountRequest' });

// Metering (operator API, edge/src/billing/).
export const AdminFlushRequest = z
  .strictObject({
    force: z
      .boolean()
      .default(true)
      .describe('Run even while the backoff after a failed flush is in force (default: yes).'),
  })
  .meta({ id: 'AdminFlushRequest' });

export const FlushReport = z
  .object({
    outcome: z.enum(['flushed', 'failed', 'backoff', 'busy', 'not_configured']),
    sent: z.int().describe('Meter events Stripe accepted in this flush.'),
    duplicates: z.int().describe('Events Stripe already had (an earlier answer was lost); acknowledged.'),
    held: z.int().describe('Events moved to the held stream (no Stripe customer, or rejected by Stripe).'),
    reclaimed: z.int().describe('Events an earlier flush took and never acknowledged.'),
    unsent: z.int().describe('Events left pending because Stripe failed; the next flush retries them.'),
    failures: z.int().describe('Consecutive failed flushes.'),
    retry_at: z.iso.datetime().nullable().describe('When the next unforced flush may run.'),
    subrequests: z.int().describe('Stripe and Redis calls this flush made (bounded per Worker invocation).'),
    oldest_unsent_age_s: z
      .int()
      .nullable()
      .describe('Age in seconds of the oldest usage event still unsent after this flush; null when none.'),
    lagging: z.boolean().describe('True when that event is over an hour old: billing is falling behind.'),
    held_trimmed: z.int().describe('Held events older than Stripe accepts (35 days), removed by this flush.'),
    error: z.string().optional(),
  })
  .meta({ id: 'FlushReport' });

export const BillingStatus = z
  .object({
    outbox: z.int().describe('Usage events not yet acknowledged by Stripe.'),
    held: z.int().describe('Usage events held back, each with its reason.'),
    failures: z.int(),
    retry_at: z.iso.datetime().nullable(),
    last_error: z.string().nullable(),
    last_success_at: z.iso.datetime().nullable(),
    oldest_unsent_at: z.iso
      .datetime()
      .nullable()
      .describe('Settle time of the oldest usage event not yet reported, as of the last flush.'),
    oldest_unsent_age_seconds: z.int().nullable().describe('Its age now; null when the outbox was empty.'),
    lagging: z.boolean().describe('The billing lag alert: the oldest unsent event is over an hour old.'),
    held_trimmed: z
      .int()
      .describe('Held events removed so far for being older than Stripe accepts (35 days).'),
    configured: z.boolean().describe('STRIPE_SECRET_KEY is set.'),
  })
  .meta({ id: 'BillingStatus' });

export const ReplayHeldUsageRequest = z
  .strictObject({
    account_id: z.string().min(1).max(100).optional().describe('Only this account’s held events.'),
    limit: z.int().min(1).max(10_000).default(1_000).describe('Most events moved back by this call.'),
    cursor: z
      .string()
      .regex(/^\d{1,20}-\d{1,20}$/)
      .optional()
      .describe(
        'Where to go on: `next_cursor` of the previous call. Each call reads at most 5,000 held events.',
      ),
  })
  .meta({ id: 'ReplayHeldUsageRequest' });

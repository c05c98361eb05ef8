import { PLANS } from '@ldm/shared';
import { z } from 'zod';

/** The daily test quota of every plan unless PLAN_LIMITS_JSON or the account says otherwise. */
export const DEFAULT_TEST_GENERATIONS_PER_DAY = 100;

/**
 * What a plan grants unless the operator set an override on the account (acct:{id} rpm_limit,
 * concurrency_limit, test_quota).
 */
export const PlanLimits = z.object({
  requests_per_minute: z.int().min(1).max(1_000_000),
  concurrent_jobs: z.int().min(1).max(100_000),
  monthly_allowance: z.number().min(0),
  /** Free test-key generations per UTC day (DESIGN decision 4). */
  test_generations_per_day: z.int().min(0).max(1_000_000),
});
export type PlanLimits = z.infer<typeof PlanLimits>;

export type PlanName = (typeof PLANS)[number];

export const DEFAULT_PLAN_LIMITS: Record<PlanName, PlanLimits> = {
  free: {
    requests_per_minute: 60,
    concurrent_jobs: 4,
    monthly_allowance: 0,
    test_generations_per_day: DEFAULT_TEST_GENERATIONS_PER_DAY,
  },
  pro: {
    requests_per_minute: 600,
    concurrent_jobs: 32,
    monthly_allowance: 0,
    test_generations_per_day: DEFAULT_TEST_GENERATIONS_PER_DAY,
  },
  enterprise: {
    requests_per_minute: 6_000,
    concurrent_jobs: 256,
    monthly_allowance: 0,
    test_generations_per_day: DEFAULT_TEST_GENERATIONS_PER_DAY,
  },
};

/** `PLAN_LIMITS_JSON` may override any plan, partially: `{"free":{"requests_per_minute":10}}`. */
export const PlanLimitsOverride = z.partialRecord(z.enum(PLANS), PlanLimits.partial());

export function mergePlanLimits(override: z.infer<typeof PlanLimitsOverride>): Record<PlanName, PlanLimits> {
  const merged = { ...DEFAULT_PLAN_LIMITS };
  for (const plan of PLANS) merged[plan] = { ...merged[plan], ...override[plan] };
  return merged;
}

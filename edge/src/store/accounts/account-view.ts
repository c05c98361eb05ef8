import { type Account, SAFETY_MODES } from '@ldm/shared';
import type { Config } from '../../env';

const num = (text: string | undefined, fallback = 0) => {
  const n = text === undefined || text === '' ? Number.NaN : Number(text);
  return Number.isFinite(n) ? n : fallback;
};

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * The monthly allowance as submit-generation.lua will see it: what is left this month (a new
 * month starts over, a plan change counts by the difference), and how much of it the account's
 * holds will use when they settle. Holds come out of `credits` first (it may dip below zero by
 * what the allowance covers) and the allowance pays them at settlement, so both figures shown are
 * the ones a user expects: credits = prepaid balance left, allowance_remaining = allowance not
 * yet used or held.
 */
function allowanceOf(hash: Record<string, string>, monthlyAllowance: number, now: number) {
  const month = new Date(now).toISOString().slice(0, 7);
  const left =
    hash.allowance_month === month
      ? Math.max(
          0,
          num(hash.allowance_left) + monthlyAllowance - num(hash.allowance_granted, monthlyAllowance),
        )
      : monthlyAllowance;
  const held = Math.min(Math.max(0, num(hash.reserved)), left);
  return { left, held };
}

/** The public Account object from the `acct:{id}` hash; limits fall back to the plan's. */
export function accountView(hash: Record<string, string>, config: Config, now = Date.now()): Account {
  const planName = (hash.plan in config.plans ? hash.plan : 'free') as Account['plan'];
  const plan = config.plans[planName];
  const allowance = allowanceOf(hash, plan.monthly_allowance, now);
  return {
    id: hash.id,
    name: hash.name ?? '',
    plan: planName,
    credits: round6(num(hash.credits) + allowance.held),
    // HINCRBYFLOAT leaves float dust (1e-15) after holds settle; the API shows micro-units.
    reserved: round6(num(hash.reserved)),
    monthly_allowance: plan.monthly_allowance,
    allowance_remaining: round6(allowance.left - allowance.held),
    limits: {
      requests_per_minute: num(hash.rpm_limit, plan.requests_per_minute),
      concurrent_jobs: num(hash.concurrency_limit, plan.concurrent_jobs),
      test_generations_per_day: num(hash.test_quota, plan.test_generations_per_day),
    },
    // submit-generation.lua counts test-key generations in test_used, starting over each UTC day.
    test_generations_today:
      hash.test_day === new Date(now).toISOString().slice(0, 10) ? num(hash.test_used) : 0,
    stripe_customer: hash.stripe_customer || null,
    safety_checker: (SAFETY_MODES as readonly string[]).includes(hash.safety_checker ?? '')
      ? (hash.safety_checker as Account['safety_checker'])
      : null,
    created_at: new Date(num(hash.created_at)).toISOString(),
  };
}

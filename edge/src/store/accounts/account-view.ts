import type { Account } from '@ldm/shared';
import type { Config } from '../../env';

const num = (text: string | undefined, fallback = 0) => {
  const n = text === undefined || text === '' ? Number.NaN : Number(text);
  return Number.isFinite(n) ? n : fallback;
};

/** The public Account object from the `acct:{id}` hash; limits fall back to the plan's. */
export function accountView(hash: Record<string, string>, config: Config): Account {
  const planName = (hash.plan in config.plans ? hash.plan : 'free') as Account['plan'];
  const plan = config.plans[planName];
  return {
    id: hash.id,
    name: hash.name ?? '',
    plan: planName,
    credits: num(hash.credits),
    reserved: num(hash.reserved),
    monthly_allowance: plan.monthly_allowance,
    allowance_remaining: num(hash.allowance_remaining, plan.monthly_allowance),
    limits: {
      requests_per_minute: num(hash.rpm_limit, plan.requests_per_minute),
      concurrent_jobs: num(hash.concurrency_limit, plan.concurrent_jobs),
    },
    stripe_customer: hash.stripe_customer || null,
    created_at: new Date(num(hash.created_at)).toISOString(),
  };
}

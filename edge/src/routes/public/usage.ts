import { UsageQuery } from '@ldm/shared';
import { Hono } from 'hono';
import { dayCount, usageReport } from '../../billing/usage-report';
import type { AppEnv } from '../../context';
import { ApiError, fieldError } from '../../errors/api-error';
import { fieldIssues } from '../../errors/zod-issues';

/** The longest period one request may ask for, in days (one ledger hash is read per day). */
export const MAX_USAGE_DAYS = 366;
const DEFAULT_DAYS = 30;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** GET /v1/usage?from=&to=&group_by=day|model: the calling account's units and jobs over a period. */
export const usage = new Hono<AppEnv>().get('/', async (c) => {
  const parsed = UsageQuery.safeParse({
    from: c.req.query('from'),
    to: c.req.query('to'),
    group_by: c.req.query('group_by'),
  });
  if (!parsed.success) {
    const details = fieldIssues(parsed.error);
    throw new ApiError(
      'validation_error',
      details.map((d) => `${d.field}: ${d.message}`).join('; '),
      details,
    );
  }
  const to = parsed.data.to ?? utcDay(Date.now());
  const from = parsed.data.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000);
  if (from > to) throw fieldError('from', `must not be after to (${to})`, to);
  // Counted from the two dates, before anything is built per day.
  if (dayCount(from, to) > MAX_USAGE_DAYS) {
    throw fieldError('to', `the period may span at most ${MAX_USAGE_DAYS} days`, MAX_USAGE_DAYS);
  }
  return c.json(
    await usageReport(
      c.get('redis'),
      c.get('caller').accountId,
      {
        from,
        to,
        group_by: parsed.data.group_by,
      },
      MAX_USAGE_DAYS,
    ),
  );
});

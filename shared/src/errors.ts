import { z } from 'zod';
import { ERROR_CODE_NAMES } from './error-codes';

/** One problem with one field of a request: which field, what is wrong, and the limit. */
export const FieldIssue = z
  .object({
    field: z.string().describe('Dotted path of the field, e.g. `width` or `webhook_events_filter.0`.'),
    message: z.string(),
    limit: z
      .union([z.number(), z.string()])
      .optional()
      .describe('The limit that was crossed, when there is one.'),
  })
  .meta({ id: 'FieldIssue' });
export type FieldIssue = z.infer<typeof FieldIssue>;

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODE_NAMES),
      message: z.string(),
      request_id: z.string(),
      details: z.array(FieldIssue).optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

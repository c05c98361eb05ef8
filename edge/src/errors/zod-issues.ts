import { type FieldIssue, LIMITS } from '@ldm/shared';
import type { z } from 'zod';

/** Longest field name echoed back: an unknown key is the caller's text and may be megabytes long. */
const FIELD_MAX_CHARS = 100;

function fieldOf(path: readonly PropertyKey[]): string {
  if (!path.length) return '(body)';
  const field = path.map(String).join('.');
  return field.length > FIELD_MAX_CHARS ? `${field.slice(0, FIELD_MAX_CHARS)}...` : field;
}

function sizeNoun(origin: string | undefined): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' items';
  return '';
}

/**
 * Turns zod's issues into the API's FieldIssues: the dotted field, a readable message and the
 * limit. At most `max` of them (LIMITS.errorDetailsMax): the caller shapes the body, and a body of
 * 200k unknown keys once answered with a 14 MB error naming every one. The last entry then says
 * how many more there were.
 */
export function fieldIssues(error: z.ZodError, max: number = LIMITS.errorDetailsMax): FieldIssue[] {
  const out: FieldIssue[] = [];
  let total = 0;
  for (const issue of error.issues) total += issue.code === 'unrecognized_keys' ? issue.keys.length : 1;
  const room = total > max ? max - 1 : max;
  for (const issue of error.issues) {
    if (out.length >= room) break;
    const field = fieldOf(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys.slice(0, room - out.length)) {
          out.push({ field: fieldOf([...issue.path, key]), message: 'unknown field' });
        }
        break;
      case 'too_big': {
        const max = Number(issue.maximum);
        const bound = issue.inclusive === false ? 'less than' : 'at most';
        out.push({ field, message: `must be ${bound} ${max}${sizeNoun(issue.origin)}`, limit: max });
        break;
      }
      case 'too_small': {
        const min = Number(issue.minimum);
        const bound = issue.inclusive === false ? 'more than' : 'at least';
        out.push({ field, message: `must be ${bound} ${min}${sizeNoun(issue.origin)}`, limit: min });
        break;
      }
      case 'not_multiple_of':
        out.push({ field, message: `must be a multiple of ${issue.divisor}`, limit: Number(issue.divisor) });
        break;
      case 'invalid_value': {
        const allowed = issue.values.map(String).join(', ');
        out.push({ field, message: `must be one of: ${allowed}`, limit: allowed });
        break;
      }
      case 'invalid_type':
        out.push({
          field,
          message: issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`,
        });
        break;
      case 'invalid_format':
        out.push({ field, message: `must be a valid ${issue.format}`, limit: issue.format });
        break;
      default:
        out.push({ field, message: issue.message });
    }
  }
  if (total > out.length) {
    out.push({ field: '(body)', message: `and ${total - out.length} more issues`, limit: max });
  }
  return out;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

import type { FieldIssue } from '@ldm/shared';
import type { z } from 'zod';

const fieldOf = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(body)');

function sizeNoun(origin: string | undefined): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' items';
  return '';
}

/** Turns zod's issues into the API's FieldIssues: the dotted field, a readable message and the limit. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const field = fieldOf(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
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
  return out;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

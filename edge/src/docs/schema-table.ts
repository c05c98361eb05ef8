import { esc, inline } from './html';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  multipleOf?: number;
  pattern?: string;
  format?: string;
  const?: unknown;
};

const refName = (ref: string) => ref.split('/').pop() as string;
export const schemaLink = (name: string) => `<a href="#schema-${esc(name)}">${esc(name)}</a>`;

/** A short type label: `integer`, `array of Generation`, `png | webp | jpeg`, `string or null`. */
export function typeLabel(s: JsonSchema): string {
  if (s.$ref) return schemaLink(refName(s.$ref));
  if (s.enum) return s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return variants.map(typeLabel).join(' or ');
  if (s.type === 'array') return `array of ${s.items ? typeLabel(s.items) : 'any'}`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return esc(s.type ?? (s.properties ? 'object' : 'any'));
}

/** Limits a user must respect, in words. */
function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  if (s.minimum !== undefined) out.push(`&ge; ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) out.push(`&gt; ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) out.push(`&le; ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`&lt; ${s.exclusiveMaximum}`);
  if (s.multipleOf !== undefined) out.push(`multiple of ${s.multipleOf}`);
  if (s.minLength !== undefined) out.push(`${s.minLength}+ chars`);
  if (s.maxLength !== undefined) out.push(`&le; ${s.maxLength} chars`);
  if (s.minItems !== undefined) out.push(`${s.minItems}+ items`);
  if (s.maxItems !== undefined) out.push(`&le; ${s.maxItems} items`);
  if (s.format) out.push(esc(s.format));
  if (s.pattern) out.push(`matches <code>${esc(s.pattern)}</code>`);
  if (s.default !== undefined) out.push(`default <code>${esc(JSON.stringify(s.default))}</code>`);
  return out;
}

/** An object schema as a field table; nested objects get their own rows (`limits.concurrent_jobs`). */
export function schemaTable(schema: JsonSchema): string {
  const rows: string[] = [];
  const walk = (s: JsonSchema, prefix: string) => {
    const required = new Set(s.required ?? []);
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const field = prefix + name;
      rows.push(
        `<tr><td><code>${esc(field)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td>` +
          `<td>${typeLabel(prop)}</td><td>${constraints(prop).join(', ')}</td><td>${inline(prop.description ?? '')}</td></tr>`,
      );
      if (prop.properties) walk(prop, `${field}.`);
      if (prop.items?.properties) walk(prop.items, `${field}[].`);
    }
  };
  walk(schema, '');
  if (!rows.length) return `<p>${typeLabel(schema)}</p>`;
  return `<table><thead><tr><th>field</th><th>type</th><th>limits</th><th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

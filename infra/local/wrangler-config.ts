import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { z } from 'zod';

export const WRANGLER_TOML = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

/** The parts of wrangler.toml the local runtime follows (wrangler's own names and shapes). */
const WranglerToml = z.object({
  name: z.string(),
  main: z.string(),
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
  vars: z.record(z.string(), z.string()).default({}),
  secrets: z.object({ required: z.array(z.string()) }).default({ required: [] }),
  r2_buckets: z.array(z.object({ binding: z.string(), bucket_name: z.string() })).default([]),
  durable_objects: z
    .object({ bindings: z.array(z.object({ name: z.string(), class_name: z.string() })) })
    .default({ bindings: [] }),
  triggers: z.object({ crons: z.array(z.string()) }).default({ crons: [] }),
  rules: z
    .array(z.object({ type: z.string(), globs: z.array(z.string()), fallthrough: z.boolean().optional() }))
    .default([]),
});
export type WranglerToml = z.output<typeof WranglerToml>;

/**
 * wrangler.toml, read once with a real TOML parser: the one description of the edge's runtime
 * (compatibility, bindings, vars, module rules) that `wrangler deploy` ships and Miniflare runs.
 */
export function readWranglerToml(path = WRANGLER_TOML): WranglerToml {
  const parsed = WranglerToml.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`${path}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

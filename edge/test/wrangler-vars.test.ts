import { readWranglerToml } from '@ldm/infra/local/wrangler-config';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../src/env';

/**
 * wrangler.toml names every var (with its deployed value) and every secret; EnvSchema reads them
 * (with the fallback the code uses when one is unset). Written apart, kept equal here.
 */
describe('wrangler.toml and EnvSchema name the same settings', () => {
  const toml = readWranglerToml();
  const schemaKeys = Object.keys(EnvSchema.shape).sort();

  it('every var and secret of wrangler.toml is read by EnvSchema, and every EnvSchema key is one', () => {
    const tomlKeys = [...Object.keys(toml.vars), ...toml.secrets.required].sort();
    expect(tomlKeys).toEqual(schemaKeys);
  });

  it('no name is both a var and a secret', () => {
    expect(Object.keys(toml.vars).filter((k) => toml.secrets.required.includes(k))).toEqual([]);
  });

  it("each var's value in wrangler.toml is the default EnvSchema falls back to", () => {
    const shape = EnvSchema.shape as Record<string, { parse(v: unknown): unknown }>;
    const differing = Object.entries(toml.vars).filter(
      ([name, value]) =>
        JSON.stringify(shape[name].parse(value)) !== JSON.stringify(shape[name].parse(undefined)),
    );
    expect(differing).toEqual([]);
  });
});

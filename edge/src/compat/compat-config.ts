import { z } from 'zod';
import { ConfigError, jsonVar } from '../env';

/**
 * Settings of the compatibility surfaces, parsed once per env object like env.ts's Config. Kept
 * apart so the core configuration does not grow with every surface.
 *   COMPAT_MODEL_OWNER  owner part of Replicate model names (`ldm/<model>`), default `ldm`
 *   OPENAI_MODEL_MAP    JSON {"openai model name": "platform model"}; names not in it that are not
 *                       platform models map to DEFAULT_MODEL when they look like OpenAI image
 *                       models (dall-e-*, gpt-image-*), else they are a 404 model_not_found.
 *   OPENAI_HOLD_SECONDS how long an Images request is held for its images (default 540: the `openai`
 *                       client gives up after 600 s, and should read an answer, not time out and re-POST)
 */
const CompatEnv = z.object({
  COMPAT_MODEL_OWNER: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a lower-case name (letters, digits, - _ .)')
    .default('ldm'),
  OPENAI_MODEL_MAP: jsonVar(z.record(z.string(), z.string().min(1)), '{}'),
  OPENAI_HOLD_SECONDS: z.coerce.number().int().min(1).max(600).default(540),
});

export interface CompatConfig {
  modelOwner: string;
  openaiModelMap: Readonly<Record<string, string>>;
  openaiHoldSeconds: number;
}

const parsed = new WeakMap<object, CompatConfig>();

export function compatConfigFor(env: object): CompatConfig {
  let config = parsed.get(env);
  if (!config) {
    const result = CompatEnv.safeParse(env);
    if (!result.success) {
      throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    }
    config = {
      modelOwner: result.data.COMPAT_MODEL_OWNER,
      openaiModelMap: result.data.OPENAI_MODEL_MAP,
      openaiHoldSeconds: result.data.OPENAI_HOLD_SECONDS,
    };
    parsed.set(env, config);
  }
  return config;
}

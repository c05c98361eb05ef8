/** Execution providers the worker can run a model on. */
export const PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** What an operator asks for: one provider (required), or `auto` (the first that works, in PROVIDERS order). */
export const PROVIDER_CHOICES = ['auto', ...PROVIDERS] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

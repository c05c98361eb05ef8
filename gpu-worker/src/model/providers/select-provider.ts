import type { ProviderProbe } from './probe-provider';
import type { ProviderChoice, ProviderName } from './provider-names';

export interface ProviderFallback {
  provider: ProviderName;
  reason: string;
}

export interface ProviderSelection {
  requested: ProviderChoice;
  provider: ProviderName;
  /** The GPU's name where known. */
  device?: string;
  /** Providers `auto` tried before the one chosen, each with why it did not start. */
  fallbacks: ProviderFallback[];
}

export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
}

export interface SelectProviderOptions {
  /** With `auto`, refuse to end on the CPU (a GPU pod that silently runs on its CPU is a broken pod). */
  requireGpu?: boolean;
}

/** `auto` tries these in order; the CPU always starts. */
const AUTO_ORDER: ProviderName[] = ['cuda', 'webgpu'];

/**
 * Chooses the execution provider once, at start. A provider named explicitly is required: if it
 * cannot start, that is a startup error naming the reason, never a quiet run on the CPU. `auto`
 * takes the first that starts and keeps every reason it passed over, for the logs, /healthz and
 * the metrics.
 */
export async function selectProvider(
  requested: ProviderChoice,
  probe: (provider: ProviderName) => Promise<ProviderProbe>,
  options: SelectProviderOptions = {},
): Promise<ProviderSelection> {
  if (requested !== 'auto') {
    const result = await probe(requested);
    if (!result.available) {
      throw new ProviderUnavailableError(`PROVIDER=${requested} cannot start here: ${result.reason}`);
    }
    return {
      requested,
      provider: requested,
      ...(result.device ? { device: result.device } : {}),
      fallbacks: [],
    };
  }
  const fallbacks: ProviderFallback[] = [];
  for (const provider of AUTO_ORDER) {
    const result = await probe(provider);
    if (result.available) {
      return { requested, provider, ...(result.device ? { device: result.device } : {}), fallbacks };
    }
    fallbacks.push({ provider, reason: result.reason ?? 'unavailable' });
  }
  if (options.requireGpu) {
    const why = fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ');
    throw new ProviderUnavailableError(`REQUIRE_GPU is set but no GPU provider starts (${why})`);
  }
  return { requested, provider: 'cpu', fallbacks };
}

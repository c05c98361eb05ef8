import { probeProvider } from './probe-provider';
import type { ProviderChoice } from './provider-names';
import { type ProviderSelection, selectProvider } from './select-provider';

export interface ChooseProviderOptions {
  deviceId?: number;
  requireGpu?: boolean;
  /** One line per provider passed over (with its reason), then the one chosen. */
  log: (line: string) => void;
}

/** selectProvider on this host's real probes, saying each step in plain lines (CLI tools). */
export async function chooseProvider(
  choice: ProviderChoice,
  options: ChooseProviderOptions,
): Promise<ProviderSelection> {
  const deviceId = options.deviceId ?? 0;
  const selection = await selectProvider(choice, (p) => probeProvider(p, deviceId), {
    requireGpu: options.requireGpu,
  });
  for (const f of selection.fallbacks) options.log(`provider ${f.provider} unavailable: ${f.reason}`);
  const device = selection.device ? ` on ${selection.device}` : '';
  options.log(`execution provider ${selection.provider}${device} (asked: ${choice})`);
  return selection;
}

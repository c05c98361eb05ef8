export { type ChooseProviderOptions, chooseProvider } from './choose-provider';
export { type ProviderHost, type ProviderProbe, probeProvider, realHost } from './probe-provider';
export { PROVIDER_CHOICES, PROVIDERS, type ProviderChoice, type ProviderName } from './provider-names';
export { type ProviderTuning, providerSessionOptions } from './provider-session-options';
export {
  type ProviderFallback,
  type ProviderSelection,
  ProviderUnavailableError,
  type SelectProviderOptions,
  selectProvider,
} from './select-provider';

export { ClipBpeTokenizer } from './clip-bpe';
export { HfJsonTokenizer } from './hf-tokenizer';
export { DEFAULT_MAX_LENGTH, loadTokenizer } from './load-tokenizer';
export { PromptTokenizer, type TokenizedPrompt } from './prompt-tokenizer';

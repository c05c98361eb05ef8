import { Tokenizer } from '@huggingface/tokenizers';

/**
 * A Hugging Face `tokenizer.json` run by @huggingface/tokenizers. That library does no
 * padding or truncation, and its post-processor would add the start/end tokens; we take
 * the bare ids and frame them ourselves like the vocab/merges tokenizer.
 */
export class HfJsonTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>) {
    // The library requires these keys; older files omit some, null means "none".
    const complete = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      ...tokenizerJson,
    };
    this.tokenizer = new Tokenizer(complete, tokenizerConfig);
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

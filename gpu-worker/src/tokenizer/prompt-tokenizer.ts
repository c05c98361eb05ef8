/** Ids for one prompt, framed and padded to the text encoder's length. */
export interface TokenizedPrompt {
  ids: number[];
  /** Tokens of the prompt itself (without start/end), before truncation. */
  tokenCount: number;
  /** True when tokens past the model's maximum length were dropped. */
  truncated: boolean;
}

export interface SpecialIds {
  bos: number;
  eos: number;
  pad: number;
}

/** What a prompt tokenizer must do: text -> bare ids (no specials). */
export interface BareTokenizer {
  tokenize(text: string): number[];
}

/**
 * CLIP framing: <start> + up to (maxLength - 2) tokens + <end>, then padding, which is what
 * transformers does with `padding="max_length", truncation=True`.
 */
export class PromptTokenizer {
  constructor(
    private readonly inner: BareTokenizer,
    readonly maxLength: number,
    readonly special: SpecialIds,
  ) {}

  encode(text: string): TokenizedPrompt {
    const tokens = this.inner.tokenize(text);
    const room = this.maxLength - 2;
    const kept = tokens.slice(0, room);
    const ids = [this.special.bos, ...kept, this.special.eos];
    while (ids.length < this.maxLength) ids.push(this.special.pad);
    return { ids, tokenCount: tokens.length, truncated: tokens.length > room };
  }
}

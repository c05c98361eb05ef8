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

/** One text-encoder input of a long prompt: framed and padded ids and each position's weight. */
export interface PromptChunk {
  ids: number[];
  /** 1 for the start, end and padding tokens. */
  weights: number[];
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

  /** Tokens of the prompt itself (no start/end) with the weight of the text each came from. */
  tokenizeWeighted(parts: readonly { text: string; weight: number }[]): { ids: number[]; weights: number[] } {
    const ids: number[] = [];
    const weights: number[] = [];
    for (const part of parts) {
      for (const id of this.inner.tokenize(part.text)) {
        ids.push(id);
        weights.push(part.weight);
      }
    }
    return { ids, weights };
  }

  /**
   * Splits tokens into chunks of (maxLength - 2), each framed with start/end and padded to
   * maxLength, as the web UI and Compel do; an empty prompt is one chunk.
   */
  chunk(tokens: { ids: number[]; weights: number[] }): PromptChunk[] {
    const room = this.maxLength - 2;
    const chunks: PromptChunk[] = [];
    for (let start = 0; start < tokens.ids.length || chunks.length === 0; start += room) {
      const ids = [this.special.bos, ...tokens.ids.slice(start, start + room), this.special.eos];
      const weights = [1, ...tokens.weights.slice(start, start + room), 1];
      while (ids.length < this.maxLength) {
        ids.push(this.special.pad);
        weights.push(1);
      }
      chunks.push({ ids, weights });
    }
    return chunks;
  }
}

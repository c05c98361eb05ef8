import type { RunClock } from '../model/run-clock';
import type { TextEncoderModel } from '../model/text-encoder';
import type { PromptTokenizer } from '../tokenizer';
import { type Timings, timed } from './timings';

export interface PromptEmbedding {
  /** Hidden states [sequence, hidden], row-major. */
  data: Float32Array;
  sequence: number;
  hidden: number;
  truncated: boolean;
  tokenCount: number;
}

/**
 * Prompt -> text-encoder hidden states, with a small LRU of recent prompts (DESIGN.md
 * decision 6: workers keep an LRU of text embeddings; the empty negative prompt alone is
 * reused by most requests).
 */
export class PromptEncoder {
  private readonly cache = new Map<string, PromptEmbedding>();

  constructor(
    private readonly tokenizer: PromptTokenizer,
    private readonly encoder: TextEncoderModel,
    private readonly capacity = 64,
  ) {}

  async encode(text: string, clock: RunClock, timings: Timings): Promise<PromptEmbedding> {
    const hit = this.cache.get(text);
    if (hit) {
      this.cache.delete(text);
      this.cache.set(text, hit);
      return hit;
    }
    const tokens = await timed(
      (ms) => {
        timings.tokenizeMs += ms;
      },
      () => this.tokenizer.encode(text),
    );
    const out = await timed(
      (ms) => {
        timings.textEncoderMs += ms;
      },
      () => this.encoder.encode(tokens.ids, clock),
    );
    const embedding: PromptEmbedding = {
      data: out.data,
      sequence: out.dims[1],
      hidden: out.dims[2],
      truncated: tokens.truncated,
      tokenCount: tokens.tokenCount,
    };
    if (this.capacity > 0) {
      this.cache.set(text, embedding);
      if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    }
    return embedding;
  }
}

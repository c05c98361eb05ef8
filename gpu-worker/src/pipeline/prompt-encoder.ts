import { LIMITS, PromptSyntaxError, parsePromptWeights } from '@ldm/shared';
import type { RunClock } from '../model/run-clock';
import type { EncodedChunk } from '../model/sdxl-text-encoder';
import type { PromptTokenizer } from '../tokenizer';
import { PipelineInputError } from './pipeline-input-error';
import { applyChunkWeights } from './prompt-weighting';
import { type Timings, timed } from './timings';

export interface PromptEmbedding {
  /** Hidden states [sequence, hidden], row-major: the chunks' states one after another. */
  data: Float32Array;
  /** chunks * the text encoder's length (77). */
  sequence: number;
  hidden: number;
  /** Text-encoder inputs the prompt took (75 tokens each). */
  chunks: number;
  /** Always false now that long prompts are chunked; kept for the API's `truncated` flags. */
  truncated: boolean;
  tokenCount: number;
  /** SDXL's second encoder: the pooled `text_embeds` of the first chunk (as Compel does for long prompts). */
  pooled?: Float32Array;
}

/** A text encoder as the prompt encoder uses it: one framed, padded chunk of ids at a time. */
export interface ChunkEncoder {
  encode(ids: readonly number[], clock: RunClock, clipSkip?: number): Promise<EncodedChunk>;
}

export type PromptField = 'prompt' | 'negative_prompt';

/**
 * Prompt -> text-encoder hidden states, with a small LRU of recent prompts (DESIGN.md
 * decision 6: workers keep an LRU of text embeddings; the empty negative prompt alone is
 * reused by most requests).
 *
 * Weighted and long prompts follow the web UI (A1111) and Compel: the attention syntax of
 * @ldm/shared's parsePromptWeights gives each token a weight; tokens are split into chunks of
 * 75, each chunk is framed, padded to 77 and encoded alone, its hidden states are multiplied
 * by the weights and rescaled to the chunk's original mean, and the chunks are concatenated
 * along the sequence axis (so the UNet sees 77 * chunks tokens).
 */
export class PromptEncoder {
  private readonly cache = new Map<string, PromptEmbedding>();

  constructor(
    private readonly tokenizer: PromptTokenizer,
    private readonly encoder: ChunkEncoder,
    private readonly capacity = 64,
  ) {}

  async encode(
    text: string,
    clock: RunClock,
    timings: Timings,
    field: PromptField = 'prompt',
    clipSkip = 0,
  ): Promise<PromptEmbedding> {
    const key = clipSkip === 0 ? text : `${clipSkip}\u0000${text}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const tokens = await timed(
      (ms) => {
        timings.tokenizeMs += ms;
      },
      async () => this.tokenizer.tokenizeWeighted(parse(text, field)),
    );
    if (tokens.ids.length > LIMITS.promptMaxTokens) {
      throw new PipelineInputError(
        field,
        `has ${tokens.ids.length} tokens; at most ${LIMITS.promptMaxTokens}`,
        LIMITS.promptMaxTokens,
      );
    }
    const chunks = this.tokenizer.chunk(tokens);
    const encoded = await timed(
      (ms) => {
        timings.textEncoderMs += ms;
      },
      async () => {
        const out = [];
        for (const chunk of chunks) {
          const states = await this.encoder.encode(chunk.ids, clock, clipSkip);
          applyChunkWeights(states.data, chunk.weights, states.dims[2]);
          out.push(states);
        }
        return out;
      },
    );
    const length = encoded[0].dims[1];
    const hidden = encoded[0].dims[2];
    const data = new Float32Array(encoded.length * length * hidden);
    encoded.forEach((states, i) => {
      data.set(states.data, i * length * hidden);
    });
    const embedding: PromptEmbedding = {
      data,
      sequence: encoded.length * length,
      hidden,
      chunks: encoded.length,
      truncated: false,
      tokenCount: tokens.ids.length,
      ...(encoded[0].pooled ? { pooled: encoded[0].pooled } : {}),
    };
    if (this.capacity > 0) {
      this.cache.set(key, embedding);
      if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    }
    return embedding;
  }
}

function parse(text: string, field: PromptField) {
  try {
    return parsePromptWeights(text);
  } catch (error) {
    if (error instanceof PromptSyntaxError) throw new PipelineInputError(field, error.message, error.limit);
    throw error;
  }
}

/**
 * The shorter of a prompt's and a negative prompt's embeddings, padded with copies of the
 * empty prompt's chunk until both have as many chunks (what the web UI does), since both
 * rows go through the UNet in one batch.
 */
export function padToChunks(
  embedding: PromptEmbedding,
  chunks: number,
  empty: PromptEmbedding,
): PromptEmbedding {
  if (embedding.chunks >= chunks) return embedding;
  const chunkSize = empty.sequence * empty.hidden;
  const data = new Float32Array(chunks * chunkSize);
  data.set(embedding.data);
  for (let c = embedding.chunks; c < chunks; c++) data.set(empty.data.subarray(0, chunkSize), c * chunkSize);
  return { ...embedding, data, chunks, sequence: chunks * empty.sequence };
}

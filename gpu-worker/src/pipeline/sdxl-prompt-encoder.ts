import type { SdxlParts } from '../model/load-sdxl';
import type { RunClock } from '../model/run-clock';
import type { PromptTokenizer } from '../tokenizer';
import { type PromptEmbedding, PromptEncoder, type PromptField } from './prompt-encoder';
import type { Timings } from './timings';

/**
 * SDXL's two text encoders as diffusers' StableDiffusionXLPipeline.encode_prompt uses them:
 * each encodes the prompt with its own tokenizer (the second pads with "!"), each gives its
 * penultimate hidden states, concatenated per token on the channel axis (768 + 1280 = 2048
 * for SDXL); the pooled embedding is the second encoder's `text_embeds`. Weights and long
 * prompts go through each encoder's PromptEncoder as for SD 1.x (both tokenizers share CLIP's
 * vocabulary, so both give the same number of chunks).
 */
export class SdxlPromptEncoder {
  private readonly first: PromptEncoder;
  private readonly second: PromptEncoder;

  constructor(tokenizer: PromptTokenizer, parts: SdxlParts, capacity = 64) {
    this.first = new PromptEncoder(tokenizer, parts.textEncoder, capacity);
    this.second = new PromptEncoder(parts.tokenizer2, parts.textEncoder2, capacity);
  }

  async encode(
    text: string,
    clock: RunClock,
    timings: Timings,
    field: PromptField = 'prompt',
    clipSkip = 0,
  ): Promise<PromptEmbedding> {
    const a = await this.first.encode(text, clock, timings, field, clipSkip);
    const b = await this.second.encode(text, clock, timings, field, clipSkip);
    if (a.sequence !== b.sequence || !b.pooled) {
      throw new Error(
        `the SDXL text encoders disagree: ${a.sequence} and ${b.sequence} positions${b.pooled ? '' : ', no pooled output'}`,
      );
    }
    return { ...a, data: concatChannels(a, b), hidden: a.hidden + b.hidden, pooled: b.pooled };
  }
}

/** [sequence, h1] and [sequence, h2] -> [sequence, h1 + h2] (torch.concat(..., dim=-1)). */
export function concatChannels(a: PromptEmbedding, b: PromptEmbedding): Float32Array {
  const width = a.hidden + b.hidden;
  const out = new Float32Array(a.sequence * width);
  for (let t = 0; t < a.sequence; t++) {
    out.set(a.data.subarray(t * a.hidden, (t + 1) * a.hidden), t * width);
    out.set(b.data.subarray(t * b.hidden, (t + 1) * b.hidden), t * width + a.hidden);
  }
  return out;
}

/**
 * diffusers' `force_zeros_for_empty_prompt`: without a negative prompt, the unconditional
 * hidden states and pooled embedding are zeros shaped as the prompt's.
 */
export function zeroEmbedding(like: PromptEmbedding): PromptEmbedding {
  return {
    ...like,
    data: new Float32Array(like.data.length),
    pooled: like.pooled ? new Float32Array(like.pooled.length) : undefined,
    tokenCount: 0,
  };
}

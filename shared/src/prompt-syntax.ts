import { LIMITS } from './limits';

/** A run of prompt text and the weight its token embeddings are multiplied by. */
export interface WeightedText {
  text: string;
  weight: number;
}

/** A malformed weight or too deep nesting; `position` is the 0-based character offset. */
export class PromptSyntaxError extends Error {
  override name = 'PromptSyntaxError';
  constructor(
    readonly position: number,
    readonly reason: string,
    readonly limit?: number | string,
  ) {
    super(`${reason} at character ${position}`);
  }
}

/** `(text)` multiplies by this, `[text]` divides by it (Stable Diffusion web UI's convention). */
export const ATTENTION_STEP = 1.1;

// A1111's weight token: ':' + optional spaces + a numeric-looking run + optional spaces + ')'.
const WEIGHT_TOKEN = /^:\s*([+-]?[.\d]+)\s*\)/;
const DECIMAL = /^\+?(\d+(\.\d*)?|\.\d+)$/;
const SPECIAL = new Set(['(', ')', '[', ']', '\\', ':']);

/**
 * Parses the attention syntax users bring from the Stable Diffusion web UI (A1111) and
 * diffusers' long-prompt-weighting community pipeline, with A1111's semantics:
 *
 * - `(text)` multiplies the weight of `text` by 1.1, `[text]` divides it by 1.1; nesting
 *   multiplies (`((text))` = 1.21).
 * - `(text:1.3)` multiplies by 1.3 instead of 1.1. The weight is a plain decimal in
 *   [0, LIMITS.promptWeightMax].
 * - `\(`, `\)`, `\[`, `\]`, `\\`, `\:` are the literal characters; any other `\` is literal.
 * - A `)` or `]` without an opening bracket is literal text (so `:)` stays a smiley); a
 *   bracket left open is closed at the end; `:` not followed by a number and `)` is text.
 *
 * Errors (PromptSyntaxError, the caller answers 422 with the field and the position): a
 * weight that looks numeric but is not a decimal (`(a:1.2.3)`, `(a:.)`), a weight outside
 * [0, promptWeightMax], brackets nested deeper than LIMITS.promptMaxNesting.
 */
export function parsePromptWeights(prompt: string): WeightedText[] {
  const parts: WeightedText[] = [];
  const round: number[] = [];
  const square: number[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push({ text, weight: 1 });
    text = '';
  };
  const multiply = (from: number, factor: number) => {
    for (let p = from; p < parts.length; p++) parts[p].weight *= factor;
  };
  const open = (stack: number[], at: number) => {
    flush();
    if (round.length + square.length >= LIMITS.promptMaxNesting) {
      throw new PromptSyntaxError(
        at,
        `brackets nested more than ${LIMITS.promptMaxNesting} deep`,
        LIMITS.promptMaxNesting,
      );
    }
    stack.push(parts.length);
  };

  for (let i = 0; i < prompt.length; i++) {
    const c = prompt[i];
    if (c === '\\') {
      const next = prompt[i + 1];
      if (next !== undefined && SPECIAL.has(next)) {
        text += next;
        i += 1;
      } else {
        text += c;
      }
    } else if (c === '(') {
      open(round, i);
    } else if (c === '[') {
      open(square, i);
    } else if (c === ':' && round.length > 0 && WEIGHT_TOKEN.test(prompt.slice(i, i + 64))) {
      const match = WEIGHT_TOKEN.exec(prompt.slice(i, i + 64)) as RegExpExecArray;
      const at = i + match[0].indexOf(match[1]);
      const weight = parseWeight(match[1], at);
      flush();
      multiply(round.pop() as number, weight);
      i += match[0].length - 1;
    } else if (c === ')' && round.length > 0) {
      flush();
      multiply(round.pop() as number, ATTENTION_STEP);
    } else if (c === ']' && square.length > 0) {
      flush();
      multiply(square.pop() as number, 1 / ATTENTION_STEP);
    } else {
      text += c;
    }
  }
  flush();
  for (const from of round) multiply(from, ATTENTION_STEP);
  for (const from of square) multiply(from, 1 / ATTENTION_STEP);
  return mergeEqualWeights(parts);
}

function parseWeight(raw: string, at: number): number {
  if (!DECIMAL.test(raw)) {
    if (raw.startsWith('-') && DECIMAL.test(raw.slice(1))) {
      throw new PromptSyntaxError(at, `weight ${raw} is negative`, `0..${LIMITS.promptWeightMax}`);
    }
    throw new PromptSyntaxError(at, `weight "${raw}" is not a decimal number`);
  }
  const weight = Number(raw);
  if (weight > LIMITS.promptWeightMax) {
    throw new PromptSyntaxError(
      at,
      `weight ${raw} is more than ${LIMITS.promptWeightMax}`,
      `0..${LIMITS.promptWeightMax}`,
    );
  }
  return weight;
}

function mergeEqualWeights(parts: WeightedText[]): WeightedText[] {
  const out: WeightedText[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (last && last.weight === part.weight) last.text += part.text;
    else out.push({ ...part });
  }
  return out;
}

// CLIP's pre-tokenizer (OpenAI simple_tokenizer.py): each match becomes at least one token.
const CLIP_PRE_TOKENS =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * A lower bound of a prompt's CLIP token count without the vocabulary: the number of
 * pre-tokens of its text (weights removed). The edge rejects a prompt above
 * LIMITS.promptMaxTokens with it; the worker counts the real tokens and checks again.
 */
export function promptTokenLowerBound(prompt: string): number {
  let count = 0;
  for (const part of parsePromptWeights(prompt)) {
    for (const _ of part.text.normalize('NFC').toLowerCase().matchAll(CLIP_PRE_TOKENS)) count += 1;
  }
  return count;
}

/** The 422 message of a prompt problem, or undefined when the prompt is acceptable. */
export function checkPromptSyntax(prompt: string): { message: string; limit?: number | string } | undefined {
  try {
    const tokens = promptTokenLowerBound(prompt);
    if (tokens > LIMITS.promptMaxTokens) {
      return {
        message: `has at least ${tokens} tokens; at most ${LIMITS.promptMaxTokens} (${LIMITS.promptMaxTokens / LIMITS.promptChunkTokens} chunks of ${LIMITS.promptChunkTokens})`,
        limit: LIMITS.promptMaxTokens,
      };
    }
    return undefined;
  } catch (error) {
    if (error instanceof PromptSyntaxError) return { message: error.message, limit: error.limit };
    throw error;
  }
}

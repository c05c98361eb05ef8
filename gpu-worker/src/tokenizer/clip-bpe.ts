import { bytesToUnicode } from './byte-unicode';

/** CLIP's pre-tokenizer (OpenAI simple_tokenizer.py): specials, contractions, letter runs, single digits, other runs. */
const CLIP_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

const END_OF_WORD = '</w>';

/**
 * CLIP byte-level BPE from a diffusers export's `vocab.json` + `merges.txt`: NFC, collapse
 * whitespace, lowercase, split by CLIP's pattern, UTF-8 bytes to unicode, then merge the
 * lowest-ranked adjacent pair until none is in the merge list. Returns ids without
 * start/end tokens.
 */
export class ClipBpeTokenizer {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly string[],
  ) {
    merges.forEach((line, rank) => {
      this.ranks.set(line, rank);
    });
  }

  static fromFiles(vocabJson: Record<string, number>, mergesTxt: string): ClipBpeTokenizer {
    const lines = mergesTxt.split('\n').filter((l) => l.length > 0 && !l.startsWith('#version'));
    return new ClipBpeTokenizer(new Map(Object.entries(vocabJson)), lines);
  }

  tokenize(text: string): number[] {
    const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    const ids: number[] = [];
    for (const match of clean.matchAll(CLIP_PATTERN)) ids.push(...this.word(match[0]));
    return ids;
  }

  private word(token: string): number[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const special = token.startsWith('<|') ? this.vocab.get(token) : undefined;
    const ids = special !== undefined ? [special] : this.merge(bytesToUnicode(token)).map((p) => this.id(p));
    if (this.cache.size < 10_000) this.cache.set(token, ids);
    return ids;
  }

  private merge(word: string): string[] {
    const symbols = Array.from(word);
    symbols[symbols.length - 1] += END_OF_WORD;
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the winning pair, left to right, as the reference does.
      const first = symbols[best];
      const second = symbols[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === first && symbols[i + 1] === second && i < symbols.length - 1) {
          merged.push(first + second);
          i += 1;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols.splice(0, symbols.length, ...merged);
    }
    return symbols;
  }

  private id(piece: string): number {
    const id = this.vocab.get(piece);
    if (id === undefined) throw new Error(`token "${piece}" is not in vocab.json`);
    return id;
  }
}

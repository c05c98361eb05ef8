import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFolderError } from '../model/model-folder-error';
import { exists, readJsonObject } from '../model/read-config';
import { ClipBpeTokenizer } from './clip-bpe';
import { HfJsonTokenizer } from './hf-tokenizer';
import { type BareTokenizer, PromptTokenizer } from './prompt-tokenizer';

/** CLIP's context length; used when tokenizer_config.json does not say. */
export const DEFAULT_MAX_LENGTH = 77;

/** Special tokens in tokenizer_config.json are strings or {content, ...} objects. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * Loads `tokenizer/` of a diffusers export: `tokenizer.json` when present, else CLIP's
 * `vocab.json` + `merges.txt`. Length and special tokens come from tokenizer_config.json
 * (SD 1.x pads with <|endoftext|>, SD 2.x with "!"); `lengthOverride` is the text
 * encoder's fixed sequence length, which wins when the export fixed one.
 */
export async function loadTokenizer(
  modelDir: string,
  lengthOverride?: number,
  /** SDXL exports have a second one, `tokenizer_2/`. */
  folder = 'tokenizer',
): Promise<PromptTokenizer> {
  const dir = join(modelDir, folder);
  const configFile = `${folder}/tokenizer_config.json`;
  const config = (await readJsonObject(modelDir, configFile, true)) ?? {};
  let inner: BareTokenizer;
  let lookup: (token: string) => number | undefined;
  if (await exists(join(dir, 'tokenizer.json'))) {
    const json = await readJsonObject(modelDir, `${folder}/tokenizer.json`);
    let hf: HfJsonTokenizer;
    try {
      hf = new HfJsonTokenizer(json ?? {}, config);
    } catch (error) {
      throw new ModelFolderError(
        `${folder}/tokenizer.json`,
        `not a usable tokenizer (${(error as Error).message})`,
      );
    }
    inner = hf;
    lookup = (t) => hf.tokenId(t);
  } else {
    const vocab = await readJsonObject(modelDir, `${folder}/vocab.json`);
    let merges: string;
    try {
      merges = await readFile(join(dir, 'merges.txt'), 'utf8');
    } catch {
      throw new ModelFolderError(
        `${folder}/merges.txt`,
        'missing (needed with vocab.json when there is no tokenizer.json)',
      );
    }
    const ids = vocab as Record<string, number>;
    inner = ClipBpeTokenizer.fromFiles(ids, merges);
    lookup = (t) => ids[t];
  }
  const special = (key: string, fallback: string) => {
    const text = tokenText(config[key]) ?? fallback;
    const id = lookup(text);
    if (id === undefined) throw new ModelFolderError(configFile, `${key} "${text}" is not in the vocabulary`);
    return id;
  };
  const bos = special('bos_token', '<|startoftext|>');
  const eos = special('eos_token', '<|endoftext|>');
  const pad = special('pad_token', '<|endoftext|>');
  const configured = config.model_max_length;
  // transformers writes a huge sentinel (1e30) when the length is unknown.
  const fromConfig =
    typeof configured === 'number' && configured > 2 && configured <= 4096 ? configured : DEFAULT_MAX_LENGTH;
  return new PromptTokenizer(inner, lengthOverride ?? fromConfig, { bos, eos, pad });
}

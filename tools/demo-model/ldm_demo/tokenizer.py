"""Word-level tokenizer for the demo captions, written as a Hugging Face tokenizer.json.

@huggingface/tokenizers 0.2 (the runtime's tokenizer) has no WordLevel model, so the
vocabulary is a WordPiece model with no '##' continuation pieces: every known word is
one token and any other word becomes <unk> as a whole. `encode` below reproduces
exactly what the runtime produces (lowercase, strip, split on \\w+|[^\\w\\s]+, look up,
keep at most MODEL_MAX_LENGTH - 2, wrap in <bos> ... <eos>, pad with <pad>).
"""

import json
import os
import re

from .scenes import COLOUR_NAMES, POSITION_NAMES, SHAPES

MODEL_MAX_LENGTH = 16
PAD, UNK, BOS, EOS = '<pad>', '<unk>', '<bos>', '<eos>'
SPECIALS = (PAD, UNK, BOS, EOS)

_WORDS = ['a', 'small', 'large', 'in', 'the', 'on', 'background']
_WORDS += list(COLOUR_NAMES) + list(SHAPES)
for _p in POSITION_NAMES:
    _WORDS += [w for w in _p.split() if w not in _WORDS]

VOCAB = {tok: i for i, tok in enumerate(list(SPECIALS) + _WORDS)}
PAD_ID, UNK_ID, BOS_ID, EOS_ID = (VOCAB[t] for t in SPECIALS)

# The Whitespace pre-tokenizer's pattern in the tokenizers library.
_SPLIT = re.compile(r'\w+|[^\w\s]+')


def encode(text, max_length=MODEL_MAX_LENGTH):
    """Token ids exactly as the runtime builds them, padded to max_length."""
    words = _SPLIT.findall(text.strip().lower())
    # Like transformers' truncation=True (and the runtime's PromptTokenizer): at most
    # max_length - 2 words, so <eos> is always there.
    ids = [BOS_ID] + [VOCAB.get(w, UNK_ID) for w in words[: max_length - 2]] + [EOS_ID]
    return ids + [PAD_ID] * (max_length - len(ids))


def _special(tok):
    return {
        'id': VOCAB[tok],
        'content': tok,
        'single_word': False,
        'lstrip': False,
        'rstrip': False,
        'normalized': False,
        'special': True,
    }


def tokenizer_json():
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [_special(t) for t in SPECIALS],
        'normalizer': {
            'type': 'Sequence',
            'normalizers': [{'type': 'Strip', 'strip_left': True, 'strip_right': True}, {'type': 'Lowercase'}],
        },
        'pre_tokenizer': {'type': 'Whitespace'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [
                {'SpecialToken': {'id': BOS, 'type_id': 0}},
                {'Sequence': {'id': 'A', 'type_id': 0}},
                {'SpecialToken': {'id': EOS, 'type_id': 0}},
            ],
            'pair': [
                {'SpecialToken': {'id': BOS, 'type_id': 0}},
                {'Sequence': {'id': 'A', 'type_id': 0}},
                {'Sequence': {'id': 'B', 'type_id': 1}},
                {'SpecialToken': {'id': EOS, 'type_id': 0}},
            ],
            'special_tokens': {
                BOS: {'id': BOS, 'ids': [BOS_ID], 'tokens': [BOS]},
                EOS: {'id': EOS, 'ids': [EOS_ID], 'tokens': [EOS]},
            },
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {
            'type': 'WordPiece',
            'unk_token': UNK,
            'continuing_subword_prefix': '##',
            'max_input_chars_per_word': 100,
            'vocab': VOCAB,
        },
    }


def tokenizer_config():
    return {
        'tokenizer_class': 'PreTrainedTokenizerFast',
        'model_max_length': MODEL_MAX_LENGTH,
        'padding_side': 'right',
        'truncation_side': 'right',
        'pad_token': PAD,
        'unk_token': UNK,
        'bos_token': BOS,
        'eos_token': EOS,
        'do_lower_case': True,
        'clean_up_tokenization_spaces': True,
    }


def save(directory):
    os.makedirs(directory, exist_ok=True)
    files = {
        'tokenizer.json': tokenizer_json(),
        'tokenizer_config.json': tokenizer_config(),
        'special_tokens_map.json': {'pad_token': PAD, 'unk_token': UNK, 'bos_token': BOS, 'eos_token': EOS},
    }
    for name, content in files.items():
        with open(os.path.join(directory, name), 'w') as f:
            json.dump(content, f, indent=2)
            f.write('\n')

"""Procedural captioned scenes: one coloured shape on a plain background.

Everything is drawn from a numpy Generator so a seed fixes the whole data set.
Shapes are rendered at 4x resolution and box-filtered down, which gives
anti-aliased edges like a real photo of flat shapes would have.
"""

import numpy as np

IMAGE_SIZE = 64
SUPERSAMPLE = 4

COLOURS = {
    'red': (220, 30, 30),
    'green': (30, 170, 50),
    'blue': (30, 60, 220),
    'yellow': (240, 210, 30),
    'white': (245, 245, 245),
    'black': (15, 15, 15),
}
SHAPES = ('circle', 'square', 'triangle')
# Centre of the shape, in pixels of the 64x64 image, for each named position.
POSITIONS = {
    'top left': (18, 18),
    'top right': (46, 18),
    'bottom left': (18, 46),
    'bottom right': (46, 46),
    'center': (32, 32),
}
# Side of the shape's bounding box in pixels.
SIZES = {'small': (14, 19), 'large': (23, 28)}

# (colour, shape) pairs never drawn in training: the evaluator asks for exactly these,
# so it measures composition, not memorisation. Every colour and every shape still
# appears in training with other partners.
HELD_OUT_PAIRS = (
    ('red', 'triangle'),
    ('blue', 'square'),
    ('yellow', 'circle'),
    ('white', 'triangle'),
)

COLOUR_NAMES = tuple(COLOURS)
POSITION_NAMES = tuple(POSITIONS)


def shape_mask(shape, cx, cy, side, size=IMAGE_SIZE, supersample=SUPERSAMPLE):
    """Coverage in [0, 1] of a shape centred at (cx, cy) with bounding box `side`."""
    n = size * supersample
    coords = (np.arange(n, dtype=np.float32) + 0.5) / supersample
    xs, ys = np.meshgrid(coords, coords)
    half = side / 2.0
    if shape == 'circle':
        hit = (xs - cx) ** 2 + (ys - cy) ** 2 <= half**2
    elif shape == 'square':
        hit = (np.abs(xs - cx) <= half) & (np.abs(ys - cy) <= half)
    elif shape == 'triangle':
        # Upright isosceles triangle filling the bounding box: apex at the top centre.
        top, bottom = cy - half, cy + half
        rel = (ys - top) / side  # 0 at the apex, 1 at the base
        hit = (ys >= top) & (ys <= bottom) & (np.abs(xs - cx) <= rel * half)
    else:
        raise ValueError(f'unknown shape {shape!r}')
    return hit.reshape(size, supersample, size, supersample).mean(axis=(1, 3))


def render(colour, shape, cx, cy, side, background):
    """RGB uint8 image of shape `shape` in `colour` on `background` (palette names)."""
    return render_rgb(COLOURS[colour], shape, cx, cy, side, COLOURS[background])


def render_rgb(fg_rgb, shape, cx, cy, side, bg_rgb):
    cover = shape_mask(shape, cx, cy, side)[..., None]
    fg = np.array(fg_rgb, dtype=np.float32)
    bg = np.array(bg_rgb, dtype=np.float32)
    img = cover * fg + (1.0 - cover) * bg
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def caption(colour, shape, size_word=None, position=None, background=None):
    words = ['a']
    if size_word:
        words.append(size_word)
    words += [w for w in (colour, shape) if w]
    if position:
        words += ['in', 'the', position]
    if background:
        words += ['on', 'a', background, 'background']
    return ' '.join(words)


def random_placement(rng):
    """Named position and size with the jitter every scene gets: (position, size, cx, cy, side)."""
    position = POSITION_NAMES[rng.integers(len(POSITION_NAMES))]
    size_word = ('small', 'large')[rng.integers(2)]
    lo, hi = SIZES[size_word]
    side = rng.uniform(lo, hi)
    jx, jy = rng.uniform(-3, 3, size=2)
    cx, cy = POSITIONS[position]
    return position, size_word, cx + jx, cy + jy, side


def sample_scene(rng, pairs, p_position=0.8, p_background=0.7, p_size=0.4):
    """One random scene drawn from the allowed (colour, shape) pairs."""
    colour, shape = pairs[rng.integers(len(pairs))]
    background = rng.choice([c for c in COLOUR_NAMES if c != colour])
    position, size_word, cx, cy, side = random_placement(rng)
    image = render(colour, shape, cx, cy, side, background)
    text = caption(
        colour,
        shape,
        size_word if rng.random() < p_size else None,
        position if rng.random() < p_position else None,
        background if rng.random() < p_background else None,
    )
    meta = {
        'colour': colour,
        'shape': shape,
        'position': position,
        'background': str(background),
        'size': size_word,
    }
    return image, text, meta


def training_pairs():
    return [(c, s) for c in COLOUR_NAMES for s in SHAPES if (c, s) not in HELD_OUT_PAIRS]


def make_dataset(n, seed, pairs=None):
    """n scenes as (uint8 images [n,64,64,3], captions, metadata)."""
    rng = np.random.default_rng(seed)
    pairs = pairs or training_pairs()
    images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    captions, metas = [], []
    for i in range(n):
        images[i], text, meta = sample_scene(rng, pairs)
        captions.append(text)
        metas.append(meta)
    return images, captions, metas


def held_out_prompts(seed=1234, backgrounds_per_case=2):
    """Evaluation prompts: every held-out pair at every position, with named backgrounds."""
    rng = np.random.default_rng(seed)
    prompts = []
    for colour, shape in HELD_OUT_PAIRS:
        for position in POSITION_NAMES:
            options = [c for c in COLOUR_NAMES if c != colour]
            for background in rng.choice(options, size=backgrounds_per_case, replace=False):
                prompts.append(
                    {
                        'prompt': caption(colour, shape, None, position, str(background)),
                        'colour': colour,
                        'shape': shape,
                        'position': position,
                        'background': str(background),
                    }
                )
    return prompts


def scene_spec():
    """Everything the TypeScript evaluator needs to know about the data set."""
    return {
        'imageSize': IMAGE_SIZE,
        'colours': {k: list(v) for k, v in COLOURS.items()},
        'shapes': list(SHAPES),
        'positions': {k: list(v) for k, v in POSITIONS.items()},
        'heldOutPairs': [list(p) for p in HELD_OUT_PAIRS],
        'prompts': held_out_prompts(),
    }

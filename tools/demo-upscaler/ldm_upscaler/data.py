"""The demo model's scenes (tools/demo-model/ldm_demo/scenes.py) drawn at 256 px, and their
64 px inputs: each 4x4 block of the 256 px render averaged (box filter), rounded to uint8 as a
PNG would hold it. The scene distribution (colours, shapes, positions, sizes) is the demo
model's, every coordinate scaled by 4.
"""

import numpy as np
from ldm_demo.scenes import COLOUR_NAMES, COLOURS, SHAPES, caption, random_placement, shape_mask

SCALE = 4
HIGH = 64 * SCALE
# 2x2 supersampling at 256 px is finer than the demo's 4x4 at 64 px (8x finer grid).
SUPERSAMPLE = 2


def render_high(fg_rgb, shape, cx, cy, side, bg_rgb):
    cover = shape_mask(shape, cx * SCALE, cy * SCALE, side * SCALE, size=HIGH, supersample=SUPERSAMPLE)[..., None]
    img = cover * np.array(fg_rgb, np.float32) + (1.0 - cover) * np.array(bg_rgb, np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def box_down(images):
    """[n, 256, 256, 3] uint8 -> [n, 64, 64, 3] uint8, mean of each 4x4 block."""
    n, h, w, c = images.shape
    blocks = images.reshape(n, h // SCALE, SCALE, w // SCALE, SCALE, c).astype(np.float32)
    return np.clip(np.rint(blocks.mean(axis=(2, 4))), 0, 255).astype(np.uint8)


def sample_scene(rng):
    """Any palette colour and shape (upscaling is not a composition test), caption as the demo's."""
    colour = COLOUR_NAMES[rng.integers(len(COLOUR_NAMES))]
    shape = SHAPES[rng.integers(len(SHAPES))]
    background = COLOUR_NAMES[rng.choice([i for i, c in enumerate(COLOUR_NAMES) if c != colour])]
    position, size_word, cx, cy, side = random_placement(rng)
    image = render_high(COLOURS[colour], shape, cx, cy, side, COLOURS[background])
    text = caption(colour, shape, size_word if rng.random() < 0.4 else None,
                   position if rng.random() < 0.8 else None, background if rng.random() < 0.7 else None)
    return image, text, {'colour': colour, 'shape': shape, 'position': position, 'background': background}


def make_dataset(n, seed):
    rng = np.random.default_rng(seed)
    high = np.empty((n, HIGH, HIGH, 3), np.uint8)
    captions, metas = [], []
    for i in range(n):
        high[i], text, meta = sample_scene(rng)
        captions.append(text)
        metas.append(meta)
    return high, box_down(high), captions, metas

"""Extra, uncaptioned scenes for the autoencoder only: shapes in random RGB colours.

Stage 1 sees each shape with only some palette colours (the held-out pairs are missing),
and a decoder trained on those alone learns that e.g. blue things are round: it decoded
exact latents of blue squares as circles. Shapes in arbitrary colours teach it to draw
edges and corners whatever the colour. No held-out pair is ever shown: a colour is
rejected for a shape when the scorer would read it as that shape's held-out partner
(nearest palette colour), so e.g. no square is ever drawn in anything the scorer calls blue.
"""

import numpy as np

from .scenes import COLOURS, HELD_OUT_PAIRS, IMAGE_SIZE, SHAPES, random_placement, render_rgb
from .scoring import nearest_colour

_NAMES = list(COLOURS)
# Foreground and background this far apart (RGB distance) at least, so the shape is visible
# to the scorer (its foreground threshold is 80).
MIN_CONTRAST = 120.0


def _allowed(shape, rgb):
    name = _NAMES[nearest_colour(np.asarray(rgb, dtype=np.float32)[None])[0]]
    return (name, shape) not in HELD_OUT_PAIRS


def make_off_palette_images(n, seed):
    """uint8 [n, 64, 64, 3]: one shape in a random colour on a random plain background."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    for i in range(n):
        shape = SHAPES[rng.integers(len(SHAPES))]
        while True:
            fg = rng.uniform(0, 255, size=3)
            bg = rng.uniform(0, 255, size=3)
            if _allowed(shape, fg) and np.linalg.norm(fg - bg) >= MIN_CONTRAST:
                break
        _, _, cx, cy, side = random_placement(rng)
        images[i] = render_rgb(fg, shape, cx, cy, side, bg)
    return images

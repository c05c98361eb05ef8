"""Adherence scores for a generated 64x64 image (the TypeScript evaluator implements
the same rules in tools/demo-model/eval/score.ts).

- background: the palette colour most border pixels are nearest to;
- foreground mask: pixels farther than FG_DISTANCE (RGB) from the mean background;
- colour: the palette colour most foreground pixels are nearest to;
- position: the named anchor nearest the foreground's centroid;
- shape: the template (circle, square, triangle drawn in the foreground's bounding box)
  with the highest IoU against the foreground mask.
"""

import numpy as np

from .scenes import COLOURS, POSITIONS, SHAPES, shape_mask

FG_DISTANCE = 80.0
MIN_FG_PIXELS = 12

_PALETTE = np.array(list(COLOURS.values()), dtype=np.float32)
_NAMES = list(COLOURS)


def nearest_colour(pixels):
    d = ((pixels[:, None, :] - _PALETTE[None]) ** 2).sum(-1)
    return d.argmin(1)


def analyse(image):
    img = image.astype(np.float32)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    bg_idx = np.bincount(nearest_colour(border), minlength=len(_NAMES)).argmax()
    bg_rgb = border[nearest_colour(border) == bg_idx].mean(0)
    mask = np.sqrt(((img - bg_rgb) ** 2).sum(-1)) > FG_DISTANCE
    result = {'background': _NAMES[bg_idx], 'colour': None, 'position': None, 'shape': None}
    if mask.sum() < MIN_FG_PIXELS:
        return result
    fg = nearest_colour(img[mask])
    result['colour'] = _NAMES[np.bincount(fg, minlength=len(_NAMES)).argmax()]
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
    result['position'] = min(POSITIONS, key=lambda p: (POSITIONS[p][0] - cx) ** 2 + (POSITIONS[p][1] - cy) ** 2)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    side = max(x1 - x0, y1 - y0)
    best = None
    for shape in SHAPES:
        template = shape_mask(shape, (x0 + x1) / 2, (y0 + y1) / 2, side, supersample=2) >= 0.5
        iou = (template & mask).sum() / max(1, (template | mask).sum())
        if best is None or iou > best[0]:
            best = (iou, shape)
    result['shape'] = best[1]
    return result

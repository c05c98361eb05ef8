"""Scores autoencoder reconstructions of fresh scenes with the adherence scorer: the
best shape adherence the diffusion model could reach through this decoder. Held-out
pairs are scored apart, since the autoencoder never saw them either.
"""

import numpy as np
import torch

from .scenes import HELD_OUT_PAIRS, make_dataset, training_pairs
from .scoring import analyse
from .train_autoencoder import to_tensor


@torch.no_grad()
def reconstruction_check(ae, seed, n=400):
    result = {}
    for name, pairs in (('training pairs', training_pairs()), ('held-out pairs', list(HELD_OUT_PAIRS))):
        images, _, metas = make_dataset(n, seed, pairs=pairs)
        rec = ae.decode(ae.encode(to_tensor(images))[0])
        rec = ((rec.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        found = [analyse(r) for r in rec]
        result[name] = {
            k: round(float(np.mean([f[k] == m[k] for f, m in zip(found, metas)])), 4)
            for k in ('colour', 'shape', 'position')
        }
        small = [f['shape'] == m['shape'] for f, m in zip(found, metas) if m['size'] == 'small']
        result[name]['shape of small'] = round(float(np.mean(small)), 4)
    return result

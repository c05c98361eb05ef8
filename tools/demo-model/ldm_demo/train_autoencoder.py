"""Stage 1 training: reconstruction (L1 + MSE, weighted up near edges) plus a small KL
term, as in LDM's AutoencoderKL minus the perceptual and adversarial losses (flat
synthetic shapes do not need them; an edge-weighted pixel loss keeps their corners).
Batches mix the captioned training scenes with off-palette ones (off_palette_scenes.py)
so the decoder draws a shape's corners whatever its colour.
"""

import time

import numpy as np
import torch

from .autoencoder import AutoencoderKL, kl_loss
from .edge_loss import edge_weighted_loss

KL_WEIGHT = 1e-5  # relative to the per-image *sum* of the pixel loss, as LDM weights it


def to_tensor(images):
    """uint8 [n,H,W,3] -> float [n,3,H,W] in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def train_autoencoder(images, steps, batch, seed, log):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    model = AutoencoderKL()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.05)
    pixels = images.shape[1] * images.shape[2] * 3
    start = time.time()
    for step in range(steps):
        x = to_tensor(images[rng.integers(0, len(images), size=batch)])
        rec, mean, logvar = model(x, gen)
        rec_loss = edge_weighted_loss(rec, x)
        loss = rec_loss + KL_WEIGHT * kl_loss(mean, logvar) / pixels
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f'ae step {step}/{steps} rec {rec_loss.item():.4f} kl {kl_loss(mean, logvar).item():.1f} '
                f'{time.time() - start:.0f}s')
    model.eval()
    return model


@torch.no_grad()
def encode_all(model, images, batch=256):
    """Posterior mean and std of every image's latent."""
    means, stds = [], []
    for i in range(0, len(images), batch):
        mean, logvar = model.encode(to_tensor(images[i : i + batch]))
        means.append(mean)
        stds.append(torch.exp(0.5 * logvar))
    return torch.cat(means), torch.cat(stds)

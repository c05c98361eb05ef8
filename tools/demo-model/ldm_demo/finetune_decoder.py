"""Stage 1b: sharpen the decoder with the encoder frozen (as Stable Diffusion's ft-MSE
VAE did). Pixel losses average over an image that is mostly flat background, so after
stage 1 the edges are soft and corners rounded, enough to blur a square into a circle.
Here the loss is weighted up on pixels near an edge of the target. The encoder, and so
the latents the UNet trains on, do not change: this can run before or alongside stage 2.

Usage: python3 -m ldm_demo.finetune_decoder --work .work [--steps N]
"""

import argparse
import os
import time

import numpy as np
import torch
from torch.nn import functional as F

from .scenes import COLOUR_NAMES, SHAPES, make_dataset
from .scoring import analyse
from .train_autoencoder import to_tensor

EDGE_WEIGHT = 10.0


def edge_map(x):
    """1 near any colour change of the target (3x3 neighbourhood), else 0."""
    gx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().sum(1, keepdim=True)
    gy = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().sum(1, keepdim=True)
    g = F.pad(gx, (0, 1, 0, 0)) + F.pad(gy, (0, 0, 0, 1))
    return (F.max_pool2d(g, 3, stride=1, padding=1) > 0.05).float()


@torch.no_grad()
def reconstruction_check(ae, seed, n=200):
    """Scores reconstructions of fresh scenes with the adherence scorer: the best shape
    adherence the diffusion model could reach through this decoder."""
    images, _, metas = make_dataset(n, seed, pairs=[(c, s) for c in COLOUR_NAMES for s in SHAPES])
    rec = ae.decode(ae.encode(to_tensor(images))[0])
    rec = ((rec.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    found = [analyse(r) for r in rec]
    return {k: float(np.mean([f[k] == m[k] for f, m in zip(found, metas)])) for k in ('colour', 'shape', 'position')}


def finetune_decoder(ae, images, steps, batch, seed, log, lr=1e-3):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    ae.encoder.requires_grad_(False)
    params = list(ae.decoder.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.05)
    start = time.time()
    for step in range(steps):
        x = to_tensor(images[rng.integers(0, len(images), size=batch)])
        with torch.no_grad():
            mean, logvar = ae.encode(x)
            z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen)
        err = ae.decode(z) - x
        weight = 1.0 + EDGE_WEIGHT * edge_map(x)
        loss = (weight * (err.abs() + err.pow(2))).mean() / weight.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f'decoder step {step}/{steps} edge-weighted rec {loss.item():.4f} {time.time() - start:.0f}s')
    ae.eval()
    return ae


def main():
    from .train import DATASET_SIZE, SEED, make_logger

    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--steps', type=int, default=1000)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    log = make_logger(os.path.join(args.work, 'decoder.log'))
    ae = torch.load(os.path.join(args.work, 'autoencoder-stage1.pt'))
    log(f'stage 1 reconstructions scored: {reconstruction_check(ae, SEED + 9)}')
    images, _, _ = make_dataset(DATASET_SIZE, SEED)
    ae = finetune_decoder(ae, images, args.steps, args.batch, SEED + 3, log)
    log(f'stage 1b reconstructions scored: {reconstruction_check(ae, SEED + 9)}')
    torch.save(ae, os.path.join(args.work, 'autoencoder.pt'))


if __name__ == '__main__':
    main()

"""Stage 1b: more steps for the decoder alone, encoder frozen (as Stable Diffusion's ft-MSE VAE
and the demo model's stage 1b). The latents do not change, so it runs as a second process on the
second core while the UNet trains on the first. Rewrites .work/autoencoder.pt.

Usage: python3 -m ldm_upscaler.finetune_decoder --work .work [--steps N]
"""

import argparse
import json
import os
import time

import numpy as np
import torch
from ldm_demo.edge_loss import edge_weighted_loss

from .data import make_dataset
from .train import HIGH_CROP, crop_origins, to_unit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--scenes', type=int, default=1500)
    parser.add_argument('--steps', type=int, default=1500)
    parser.add_argument('--batch', type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(10)
    start = time.time()
    ae = torch.load(os.path.join(args.work, 'autoencoder.pt'))
    for p in ae.encoder.parameters():
        p.requires_grad_(False)
    high, _, _, _ = make_dataset(args.scenes, seed=0)
    opt = torch.optim.AdamW(ae.decoder.parameters(), lr=5e-4, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=args.steps, pct_start=0.05)
    rng = np.random.default_rng(11)
    for step in range(args.steps):
        idx = rng.integers(0, high.shape[0], size=args.batch)
        ys = crop_origins(rng, args.batch, high.shape[1], HIGH_CROP)
        xs = crop_origins(rng, args.batch, high.shape[2], HIGH_CROP)
        x = to_unit(np.stack([high[i, y:y + HIGH_CROP, x:x + HIGH_CROP] for i, y, x in zip(idx, ys, xs)]))
        with torch.no_grad():
            mean, _ = ae.encode(x)
        rec = ae.decode(mean)
        loss = edge_weighted_loss(rec, x) + (rec - x).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ae.decoder.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f'[{time.time() - start:7.1f}s] decoder step {step} loss {loss.item():.4f}', flush=True)
    for p in ae.encoder.parameters():
        p.requires_grad_(True)
    torch.save(ae.eval(), os.path.join(args.work, 'autoencoder.pt'))
    with open(os.path.join(args.work, 'decoder.json'), 'w') as f:
        json.dump({'seconds': time.time() - start, 'args': vars(args)}, f, indent=2)


if __name__ == '__main__':
    main()

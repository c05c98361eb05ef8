"""Stage 1b: more training for the decoder alone, with the encoder frozen (as Stable
Diffusion's ft-MSE VAE was). The latents, and so everything stage 2 learns, do not
change; only how sharply they are drawn does. Same edge-weighted loss and data as
stage 1, at a lower peak rate: the decoder is what limits shape adherence (corners of
small shapes), and a decoder step costs about half an autoencoder step.

Usage: python3 -m ldm_demo.finetune_decoder --work .work (from autoencoder-stage1.pt)
"""

import argparse
import os
import time

import numpy as np
import torch

from .edge_loss import edge_weighted_loss
from .train_autoencoder import to_tensor


def finetune_decoder(ae, images, steps, batch, seed, log, lr=1e-3):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    ae.encoder.requires_grad_(False)
    params = list(ae.decoder.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.05)
    ae.train()
    start = time.time()
    for step in range(steps):
        x = to_tensor(images[rng.integers(0, len(images), size=batch)])
        with torch.no_grad():
            mean, logvar = ae.encode(x)
            z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen)
        loss = edge_weighted_loss(ae.decode(z), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f'decoder step {step}/{steps} rec {loss.item():.4f} {time.time() - start:.0f}s')
    ae.eval()
    return ae


def main():
    from .reconstruction_check import reconstruction_check
    from .train import DECODER_SEED, make_autoencoder_data, make_logger

    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--out', default=None, help='where to write autoencoder.pt (default: --work)')
    parser.add_argument('--steps', type=int, default=600)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = args.out or args.work
    os.makedirs(out, exist_ok=True)
    log = make_logger(os.path.join(out, 'decoder.log'))
    ae = torch.load(os.path.join(args.work, 'autoencoder-stage1.pt'))
    ae = finetune_decoder(ae, make_autoencoder_data(), args.steps, args.batch, DECODER_SEED, log)
    log(f'stage 1b reconstructions scored: {reconstruction_check(ae, DECODER_SEED + 6)}')
    # Written whole then renamed: train.py and a resumed build treat autoencoder.pt as done.
    partial = os.path.join(out, 'autoencoder.pt.partial')
    torch.save(ae, partial)
    os.replace(partial, os.path.join(out, 'autoencoder.pt'))


if __name__ == '__main__':
    main()

"""Trains both stages and saves checkpoints to the work directory.

Usage: python3 -m ldm_demo.train --work .work [--ae-steps N] [--ldm-steps N]
"""

import argparse
import json
import os
import time

import numpy as np
import torch

from .scenes import make_dataset
from .train_autoencoder import encode_all, train_autoencoder
from .train_diffusion import train_diffusion

SEED = 20260526
DATASET_SIZE = 12000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--ae-steps', type=int, default=1200)
    parser.add_argument('--ae-batch', type=int, default=32)
    parser.add_argument('--ldm-steps', type=int, default=1800)
    parser.add_argument('--ldm-batch', type=int, default=64)
    parser.add_argument('--unet-base', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    log_file = open(os.path.join(args.work, 'train.log'), 'a')

    def log(msg):
        line = f'[{time.strftime("%H:%M:%S")}] {msg}'
        print(line, flush=True)
        log_file.write(line + '\n')
        log_file.flush()

    t0 = time.time()
    log(f'args {vars(args)}')
    images, _, metas = make_dataset(DATASET_SIZE, SEED)
    log(f'data set: {len(images)} scenes in {time.time() - t0:.0f}s')

    ae_path = os.path.join(args.work, 'autoencoder.pt')
    if os.path.exists(ae_path):
        ae = torch.load(ae_path)
        log('autoencoder: reusing checkpoint')
    else:
        ae = train_autoencoder(images, args.ae_steps, args.ae_batch, SEED + 1, log)
        torch.save(ae, ae_path)
    mean, std = encode_all(ae, images)
    scaling = float(1.0 / mean.std())
    log(f'latents {tuple(mean.shape)} std {mean.std():.4f} -> scaling_factor {scaling:.5f} '
        f'(posterior std mean {std.mean():.4f}) {time.time() - t0:.0f}s')

    ldm = train_diffusion(mean, std, metas, scaling, args.ldm_steps, args.ldm_batch, SEED + 2, log, args.unet_base)
    torch.save(ldm, os.path.join(args.work, 'denoiser.pt'))
    with open(os.path.join(args.work, 'train.json'), 'w') as f:
        json.dump({'scaling_factor': scaling, 'seconds': time.time() - t0, 'args': vars(args)}, f, indent=2)
    log(f'done in {time.time() - t0:.0f}s')


if __name__ == '__main__':
    main()

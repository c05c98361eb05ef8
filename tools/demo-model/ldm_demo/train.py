"""Trains both stages and saves checkpoints to the work directory.

Usage: python3 -m ldm_demo.train --work .work [--ae-steps N] [--ldm-steps N]
"""

import argparse
import json
import os
import time

import numpy as np
import torch

from .finetune_decoder import finetune_decoder
from .off_palette_scenes import make_off_palette_images
from .reconstruction_check import reconstruction_check
from .scenes import make_dataset
from .train_autoencoder import encode_all, train_autoencoder
from .train_diffusion import train_diffusion

SEED = 20260526
DATASET_SIZE = 12000
# Off-palette scenes added to the autoencoder's data (a third of its batches).
OFF_PALETTE_SIZE = 6000
DECODER_SEED = SEED + 3


def make_autoencoder_data(images=None):
    """The captioned training scenes plus the off-palette ones, uint8 [n, 64, 64, 3]."""
    if images is None:
        images = make_dataset(DATASET_SIZE, SEED)[0]
    return np.concatenate([images, make_off_palette_images(OFF_PALETTE_SIZE, SEED + 5)])


def make_logger(path):
    log_file = open(path, 'a')

    def log(msg):
        line = f'[{time.strftime("%H:%M:%S")}] {msg}'
        print(line, flush=True)
        log_file.write(line + '\n')
        log_file.flush()

    return log


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--ae-steps', type=int, default=1000)
    parser.add_argument('--ae-batch', type=int, default=32)
    parser.add_argument('--decoder-steps', type=int, default=600)
    parser.add_argument('--ldm-steps', type=int, default=3300)
    parser.add_argument('--ldm-stop-after', type=int, default=None)
    parser.add_argument('--no-colour', type=float, default=0.3)
    parser.add_argument('--ldm-batch', type=int, default=32)
    parser.add_argument('--unet-base', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    log = make_logger(os.path.join(args.work, 'train.log'))

    t0 = time.time()
    log(f'args {vars(args)}')
    images, _, metas = make_dataset(DATASET_SIZE, SEED)
    log(f'data set: {len(images)} scenes in {time.time() - t0:.0f}s')

    stage1_path = os.path.join(args.work, 'autoencoder-stage1.pt')
    ae_path = os.path.join(args.work, 'autoencoder.pt')
    if os.path.exists(ae_path):
        ae = torch.load(ae_path)
        log('autoencoder: reusing checkpoint')
    else:
        ae_data = make_autoencoder_data(images)
        if os.path.exists(stage1_path):
            ae = torch.load(stage1_path)
        else:
            ae = train_autoencoder(ae_data, args.ae_steps, args.ae_batch, SEED + 1, log)
            torch.save(ae, stage1_path)
        log(f'stage 1 reconstructions scored: {reconstruction_check(ae, SEED + 9)}')
        if args.decoder_steps:
            # Stage 1b changes only the decoder: the latents below, and stage 2, are the same.
            ae = finetune_decoder(ae, ae_data, args.decoder_steps, args.ae_batch, DECODER_SEED, log)
            log(f'stage 1b reconstructions scored: {reconstruction_check(ae, SEED + 9)}')
        torch.save(ae, ae_path)
    mean, std = encode_all(ae, images)
    scaling = float(1.0 / mean.std())
    log(f'latents {tuple(mean.shape)} std {mean.std():.4f} -> scaling_factor {scaling:.5f} '
        f'(posterior std mean {std.mean():.4f}) {time.time() - t0:.0f}s')

    def save_info(path, seconds):
        with open(path, 'w') as f:
            json.dump({'scaling_factor': scaling, 'seconds': seconds, 'args': vars(args)}, f, indent=2)

    partial = os.path.join(args.work, 'partial')
    os.makedirs(partial, exist_ok=True)
    save_info(os.path.join(partial, 'train.json'), None)
    if not os.path.exists(os.path.join(partial, 'autoencoder.pt')):
        torch.save(ae, os.path.join(partial, 'autoencoder.pt'))

    def checkpoint(ema):
        torch.save(ema, os.path.join(partial, 'denoiser.pt'))

    ldm = train_diffusion(mean, std, metas, scaling, args.ldm_steps, args.ldm_batch, SEED + 2, log, args.unet_base,
                          checkpoint=checkpoint, stop_after=args.ldm_stop_after, p_no_colour=args.no_colour)
    torch.save(ldm, os.path.join(args.work, 'denoiser.pt'))
    save_info(os.path.join(args.work, 'train.json'), time.time() - t0)
    log(f'done in {time.time() - t0:.0f}s')


if __name__ == '__main__':
    main()

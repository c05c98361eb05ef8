"""Trains both stages and saves checkpoints to the work directory.

Usage: python3 -m ldm_demo.train --work .work [--ae-steps N] [--ldm-steps N]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

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


def start_decoder_finetune(args):
    """Stage 1b in a second process, on its own core, while stage 2 trains here: it
    reads autoencoder-stage1.pt and writes autoencoder.pt (see finetune_decoder.py)."""
    command = [sys.executable, '-m', 'ldm_demo.finetune_decoder', '--work', os.path.abspath(args.work), '--steps',
               str(args.decoder_steps), '--batch', str(args.ae_batch), '--threads', '1']
    return subprocess.Popen(command, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    parser.add_argument('--ldm-steps', type=int, default=4500)
    parser.add_argument('--ldm-stop-after', type=int, default=None)
    parser.add_argument('--no-colour', type=float, default=0.3)
    parser.add_argument('--ldm-batch', type=int, default=32)
    parser.add_argument('--unet-base', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--precision', choices=('bf16', 'fp32'), default='bf16', help='of stage 2 (see train_diffusion.py)')
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
    decoder_job = None
    if os.path.exists(ae_path):
        ae = torch.load(ae_path)
        log('autoencoder: reusing checkpoint')
    else:
        if os.path.exists(stage1_path):
            ae = torch.load(stage1_path)
        else:
            ae = train_autoencoder(make_autoencoder_data(images), args.ae_steps, args.ae_batch, SEED + 1, log)
            torch.save(ae, stage1_path)
        log(f'stage 1 reconstructions scored: {reconstruction_check(ae, SEED + 9)}')
        if not args.decoder_steps:
            torch.save(ae, ae_path)
    # Stage 1b trains the decoder only: these latents are the same before and after it.
    mean, std = encode_all(ae, images)
    scaling = float(1.0 / mean.std())
    log(f'latents {tuple(mean.shape)} std {mean.std():.4f} -> scaling_factor {scaling:.5f} '
        f'(posterior std mean {std.mean():.4f}) {time.time() - t0:.0f}s')
    if not os.path.exists(ae_path):
        decoder_job = start_decoder_finetune(args)
        # One core each: stage 1b then costs no wall time of its own (README: timings).
        torch.set_num_threads(max(1, args.threads - 1))

    def save_info(path, seconds):
        with open(path, 'w') as f:
            json.dump({'scaling_factor': scaling, 'seconds': seconds, 'args': vars(args)}, f, indent=2)

    partial = os.path.join(args.work, 'partial')
    os.makedirs(partial, exist_ok=True)
    save_info(os.path.join(partial, 'train.json'), None)

    def checkpoint(ema):
        torch.save(ema, os.path.join(partial, 'denoiser.pt'))
        decoder_done = decoder_job is None or decoder_job.poll() is not None
        if decoder_done and not os.path.exists(os.path.join(partial, 'autoencoder.pt')) and os.path.exists(ae_path):
            shutil.copyfile(ae_path, os.path.join(partial, 'autoencoder.pt'))

    try:
        ldm = train_diffusion(mean, std, metas, scaling, args.ldm_steps, args.ldm_batch, SEED + 2, log,
                              args.unet_base, checkpoint=checkpoint, stop_after=args.ldm_stop_after,
                              p_no_colour=args.no_colour, precision=args.precision)
    except BaseException:
        if decoder_job:
            decoder_job.terminate()  # no orphan left training when stage 2 fails or is interrupted
        raise
    if decoder_job and decoder_job.wait() != 0:
        raise SystemExit(f'stage 1b (decoder fine-tuning) failed with exit code {decoder_job.returncode}')
    torch.save(ldm, os.path.join(args.work, 'denoiser.pt'))
    save_info(os.path.join(args.work, 'train.json'), time.time() - t0)
    log(f'done in {time.time() - t0:.0f}s')


if __name__ == '__main__':
    main()

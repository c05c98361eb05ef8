"""Trains the demo x4 upscaler from scratch: stage 1 the f=4 autoencoder on 64 px crops of
256 px scenes, stage 2 the UNet (and a small text encoder, jointly, as the demo model's) on
16x16 latent crops with the 16x16 noised low-res crop concatenated. Writes .work/*.pt.

Usage: python3 -m ldm_upscaler.train --work .work [--ae-steps N] [--unet-steps N]
"""

import argparse
import copy
import json
import os
import time

import numpy as np
import torch
from ldm_demo.edge_loss import edge_weighted_loss
from ldm_demo.text_encoder import TextEncoder
from ldm_demo.tokenizer import encode

from .data import SCALE, make_dataset
from .model import MAX_NOISE_LEVEL, Autoencoder, UpscaleUNet
from .schedule import NUM_TRAIN_TIMESTEPS, add_noise, alphas_cumprod

HIGH_CROP = 64
LATENT_CROP = HIGH_CROP // SCALE


def to_unit(u8):
    """uint8 NHWC -> float NCHW in [-1, 1]."""
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def crop_origins(rng, n, size, crop):
    return rng.integers(0, size - crop + 1, size=n) // SCALE * SCALE


def train_autoencoder(high, steps, batch, log):
    ae = Autoencoder()
    opt = torch.optim.AdamW(ae.parameters(), lr=1e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    rng = np.random.default_rng(1)
    n = high.shape[0]
    for step in range(steps):
        idx = rng.integers(0, n, size=batch)
        ys, xs = crop_origins(rng, batch, high.shape[1], HIGH_CROP), crop_origins(rng, batch, high.shape[2], HIGH_CROP)
        crops = np.stack([high[i, y:y + HIGH_CROP, x:x + HIGH_CROP] for i, y, x in zip(idx, ys, xs)])
        x = to_unit(crops)
        mean, logvar = ae.encode(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        rec = ae.decode(z)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum() / batch
        loss = edge_weighted_loss(rec, x) + 1e-6 * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ae.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            log(f'ae step {step} loss {loss.item():.4f}')
    return ae.eval()


@torch.no_grad()
def encode_all(ae, high):
    out = []
    for i in range(0, high.shape[0], 32):
        out.append(ae.encode(to_unit(high[i:i + 32]))[0])
    return torch.cat(out)


def train_unet(latents, low, captions, steps, batch, log, start_from=None, seed=2, max_lr=1e-3):
    unet, te = (start_from['unet'], start_from['text_encoder']) if start_from else (UpscaleUNet(), TextEncoder())
    unet.train()
    te.train()
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps, pct_start=0.1)
    ema_unet, ema_te = copy.deepcopy(unet), copy.deepcopy(te)
    ema_params = list(ema_unet.parameters()) + list(ema_te.parameters())
    ac = alphas_cumprod()
    ids = torch.tensor([encode(c) for c in captions], dtype=torch.int32)
    empty = torch.tensor(encode(''), dtype=torch.int32)
    low_t = to_unit(low)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    n, size = latents.shape[0], latents.shape[2]
    for step in range(steps):
        idx = rng.integers(0, n, size=batch)
        ys = rng.integers(0, size - LATENT_CROP + 1, size=batch)
        xs = rng.integers(0, size - LATENT_CROP + 1, size=batch)
        z0 = torch.stack([latents[i, :, y:y + LATENT_CROP, x:x + LATENT_CROP] for i, y, x in zip(idx, ys, xs)])
        lo = torch.stack([low_t[i, :, y:y + LATENT_CROP, x:x + LATENT_CROP] for i, y, x in zip(idx, ys, xs)])
        # Half the batch at the low noise levels requests use (default 20), half over the whole range.
        levels = np.where(rng.random(batch) < 0.5, rng.integers(0, 41, size=batch),
                          rng.integers(0, MAX_NOISE_LEVEL + 1, size=batch))
        levels = torch.from_numpy(levels).long()
        lo = add_noise(lo, torch.randn(lo.shape, generator=gen), levels, ac)
        t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (batch,), generator=gen)
        eps = torch.randn(z0.shape, generator=gen)
        zt = add_noise(z0, eps, t, ac)
        a = ac[t].view(-1, 1, 1, 1)
        v_target = a.sqrt() * eps - (1 - a).sqrt() * z0
        tok = ids[torch.from_numpy(idx)]
        drop = torch.from_numpy(rng.random(batch) < 0.1)
        tok = torch.where(drop[:, None], empty[None, :], tok)
        context, _ = te(tok)
        v = unet(torch.cat([zt, lo], 1), t, context, levels)
        loss = (v - v_target).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        with torch.no_grad():
            decay = min(0.995, (1 + step) / (10 + step))
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, params, alpha=1 - decay)
        if step % 100 == 0 or step == steps - 1:
            log(f'unet step {step} loss {loss.item():.4f}')
    return ema_unet.eval(), ema_te.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--scenes', type=int, default=1500)
    parser.add_argument('--ae-steps', type=int, default=500)
    parser.add_argument('--ae-batch', type=int, default=12)
    parser.add_argument('--unet-steps', type=int, default=1000)
    # Stage 2 trains on the first N scenes (the same draws as stage 1's first N).
    parser.add_argument('--unet-scenes', type=int, default=800)
    parser.add_argument('--unet-batch', type=int, default=16)
    # build.sh runs 'ae', then 'unet' beside finetune_decoder (one core each); 'all' is both in a row.
    parser.add_argument('--stage', choices=('all', 'ae', 'unet'), default='all')
    # Stage 2b: continue from denoiser.pt (its EMA weights) with a new one-cycle schedule.
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--seed', type=int, default=None, help='crop/noise stream (default 2, resumed 12)')
    parser.add_argument('--max-lr', type=float, default=1e-3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(args.work, exist_ok=True)
    start = time.time()
    timings = {}

    def log(msg):
        print(f'[{time.time() - start:7.1f}s] {msg}', flush=True)

    n_scenes = args.unet_scenes if args.stage == 'unet' else args.scenes
    high, low, captions, _ = make_dataset(n_scenes, seed=0)
    timings['data_s'] = time.time() - start
    log(f'{n_scenes} scenes at 256 px and 64 px')
    latents_file = os.path.join(args.work, 'latents.pt')
    if args.stage == 'unet':
        if os.path.exists(latents_file):
            latents, scaling = torch.load(latents_file)
        else:  # stage 1 from before latents.pt was written: the same encoder, encoded again
            latents = encode_all(torch.load(os.path.join(args.work, 'autoencoder.pt')), high)
            scaling = float(1.0 / latents.std())
            log(f'latent std {latents.std():.4f} -> scaling_factor {scaling:.5f}')
            torch.save((latents, scaling), latents_file)
        latents = latents[:n_scenes]
    else:
        t0 = time.time()
        ae = train_autoencoder(high, args.ae_steps, args.ae_batch, log)
        timings['autoencoder_s'] = time.time() - t0
        latents = encode_all(ae, high)
        scaling = float(1.0 / latents.std())
        log(f'latent std {latents.std():.4f} -> scaling_factor {scaling:.5f}')
        torch.save(ae, os.path.join(args.work, 'autoencoder.pt'))
        torch.save((latents, scaling), latents_file)
        if args.stage == 'ae':
            log(f'stage 1 done {timings}')
            return
    t0 = time.time()
    den_file = os.path.join(args.work, 'denoiser.pt')
    start_from = torch.load(den_file) if args.resume else None
    if args.resume:
        with open(os.path.join(args.work, 'train.json')) as f:
            scaling = json.load(f)['scaling_factor']  # the latents stage 2 saw, whatever latents.pt holds
    unet, te = train_unet(latents[: args.unet_scenes] * scaling, low[: args.unet_scenes],
                          captions[: args.unet_scenes], args.unet_steps, args.unet_batch, log,
                          start_from=start_from, seed=args.seed if args.seed is not None else 12 if args.resume else 2,
                          max_lr=args.max_lr)
    timings['unet_s'] = time.time() - t0
    torch.save({'unet': unet, 'text_encoder': te}, den_file)
    timings['total_s'] = time.time() - start
    if args.resume:
        os.replace(os.path.join(args.work, 'train.json'), os.path.join(args.work, 'train-stage2.json'))
    with open(os.path.join(args.work, 'train.json'), 'w') as f:
        json.dump({'scaling_factor': scaling, 'timings': timings, 'args': vars(args)}, f, indent=2)
    log(f'done {timings}')


if __name__ == '__main__':
    main()

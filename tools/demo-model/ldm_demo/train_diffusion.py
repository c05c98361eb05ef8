"""Stage 2 training: the UNet and the text encoder (tau-theta) learn epsilon prediction
jointly on scaled latents, with caption dropout for classifier-free guidance.
"""

import copy
import time

import numpy as np
import torch

from .scenes import caption
from .schedule import NUM_TRAIN_TIMESTEPS, alphas_cumprod
from .text_encoder import TextEncoder
from .tokenizer import encode
from .unet import UNet

CAPTION_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0
NORMS = (torch.nn.GroupNorm, torch.nn.LayerNorm)


def _float32_input(_module, args):
    return tuple(a.float() for a in args)


def mixed_precision(model, precision):
    """bfloat16 autocast for the matrix products and convolutions of training steps, the
    way Stable Diffusion is trained: the weights, their optimizer state and the EMA stay in
    float32, and normalisation layers compute in float32 (torch 1.13's CPU autocast leaves
    them to the input's type, and they reject a bfloat16 input with float32 weights). On
    CPUs with AMX or AVX512-BF16 a step costs about half the float32 one. The hooks are
    put on the trained model only: the EMA copy that is saved and exported has none."""
    if precision == 'fp32':
        return lambda: torch.autocast('cpu', enabled=False)
    for module in model.modules():
        if isinstance(module, NORMS):
            module.register_forward_pre_hook(_float32_input)
    return lambda: torch.autocast('cpu', dtype=torch.bfloat16)


def random_caption(rng, meta, p_no_colour=0.0):
    """A fresh caption for a scene each time it is drawn: position, background and size
    are each mentioned or not, so the model learns every optional part. With
    p_no_colour the colour is left out too ("a square in the top left"), which shows the
    text encoder shape words outside any colour context: a held-out pair such as "a red
    triangle" needs the shape word read apart from the colour word before it."""
    return caption(
        None if rng.random() < p_no_colour else meta['colour'],
        meta['shape'],
        meta['size'] if rng.random() < 0.4 else None,
        meta['position'] if rng.random() < 0.8 else None,
        meta['background'] if rng.random() < 0.7 else None,
    )


class Denoiser(torch.nn.Module):
    """UNet + text encoder, trained and averaged (EMA) together."""

    def __init__(self, unet_base):
        super().__init__()
        self.text_encoder = TextEncoder()
        self.unet = UNet(base=unet_base, context_dim=self.text_encoder.dim)


def train_diffusion(latent_mean, latent_std, metas, scaling, steps, batch, seed, log, unet_base=64, lr=8e-4,
                    checkpoint=None, checkpoint_every=300, stop_after=None, p_no_colour=0.0, precision='bf16'):
    """`steps` fixes the learning-rate schedule; `stop_after` (a step index) ends the run
    early with the EMA weights of that step, exactly the checkpoint saved at that step.
    `p_no_colour` of the captions leave the colour out (see random_caption)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    model = Denoiser(unet_base)
    ema = copy.deepcopy(model).requires_grad_(False)
    autocast = mixed_precision(model, precision)
    params, ema_params = list(model.parameters()), list(ema.parameters())
    # foreach: one call per step for all 240 tensors instead of one per tensor.
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, foreach=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.05, final_div_factor=20)
    ac = alphas_cumprod()
    snr = ac / (1 - ac)
    # Min-SNR weighting (Hang et al. 2023) for epsilon prediction: same optimum, faster training.
    weight = torch.clamp(snr, max=MIN_SNR_GAMMA) / snr
    start, running = time.time(), 0.0
    for step in range(steps):
        idx = rng.integers(0, len(metas), size=batch)
        z0 = (latent_mean[idx] + latent_std[idx] * torch.randn(latent_mean[idx].shape, generator=gen)) * scaling
        texts = ['' if rng.random() < CAPTION_DROPOUT else random_caption(rng, metas[i], p_no_colour) for i in idx]
        ids = torch.tensor([encode(t) for t in texts], dtype=torch.int32)
        t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (batch,), generator=gen)
        noise = torch.randn(z0.shape, generator=gen)
        a = ac[t][:, None, None, None]
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        with autocast():
            context, _ = model.text_encoder(ids)
            pred = model.unet(zt, t, context)
        loss = (weight[t] * (pred.float() - noise).pow(2).mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        decay = min(0.995, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, params, alpha=1 - decay)
        running = loss.item() if step == 0 else 0.98 * running + 0.02 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            log(f'ldm step {step}/{steps} loss {running:.4f} lr {sched.get_last_lr()[0]:.2e} {time.time() - start:.0f}s')
        if checkpoint and step and step % checkpoint_every == 0:
            checkpoint(ema)  # lets the recipe's evaluator look at a run in progress
        if stop_after is not None and step == stop_after:
            log(f'ldm stopped after step {step} of a {steps}-step schedule')
            break
    ema.eval()
    return ema

"""The two noise schedules of Stable Diffusion's x4 upscaler, both diffusers' `scaled_linear`
with beta 0.0001 -> 0.02 over 1000 steps: `scheduler/` (DDIM, v-prediction) for the latents
and `low_res_scheduler/` (DDPM) that noises the 64 px conditioning image at `noise_level`.
"""

import torch

NUM_TRAIN_TIMESTEPS = 1000
BETA_START, BETA_END = 0.0001, 0.02


def alphas_cumprod():
    betas = torch.linspace(BETA_START**0.5, BETA_END**0.5, NUM_TRAIN_TIMESTEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).to(torch.float32)


def add_noise(x, noise, t, ac):
    a = ac[t].view(-1, 1, 1, 1)
    return a.sqrt() * x + (1 - a).sqrt() * noise


@torch.no_grad()
def ddim_sample(unet, low_noised, noise_level, cond, uncond, latent_shape, steps=20, guidance=1.0, generator=None):
    """Deterministic DDIM (eta 0, 'leading' spacing, offset 1) with v-prediction, as the
    TypeScript pipeline runs the exported scheduler config; returns latents."""
    ac = alphas_cumprod()
    x = torch.randn(latent_shape, generator=generator)
    ratio = NUM_TRAIN_TIMESTEPS // steps
    cfg = guidance > 1.0
    context = torch.cat([uncond, cond]) if cfg else cond
    low = torch.cat([low_noised, low_noised]) if cfg else low_noised
    levels = torch.full((low.shape[0],), noise_level, dtype=torch.long)
    for t in [i * ratio + 1 for i in reversed(range(steps))]:
        xin = torch.cat([x, x]) if cfg else x
        tt = torch.full((xin.shape[0],), t, dtype=torch.long)
        v = unet(torch.cat([xin, low], 1), tt, context, levels)
        if cfg:
            vu, vc = v.chunk(2)
            v = vu + guidance * (vc - vu)
        a_t = ac[t]
        a_prev = ac[t - ratio] if t - ratio >= 0 else ac[0]
        x0 = a_t.sqrt() * x - (1 - a_t).sqrt() * v
        eps = a_t.sqrt() * v + (1 - a_t).sqrt() * x
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x

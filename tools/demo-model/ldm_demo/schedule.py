"""Stable Diffusion's noise schedule and a DDIM sampler used by the recipe's own check.

The schedule is diffusers' `scaled_linear`: betas linear in sqrt space from 0.00085 to
0.012 over 1000 steps. The sampler follows diffusers' DDIMScheduler with
timestep_spacing 'leading', steps_offset 1 and set_alpha_to_one False, the settings in
scheduler_config.json, so its numbers are comparable with the TypeScript pipeline's.
"""

import torch

NUM_TRAIN_TIMESTEPS = 1000
BETA_START, BETA_END = 0.00085, 0.012


def alphas_cumprod():
    betas = torch.linspace(BETA_START**0.5, BETA_END**0.5, NUM_TRAIN_TIMESTEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).to(torch.float32)


def ddim_timesteps(steps, offset=1):
    ratio = NUM_TRAIN_TIMESTEPS // steps
    return [i * ratio + offset for i in reversed(range(steps))], ratio


@torch.no_grad()
def ddim_sample(unet, cond, uncond, shape, steps=20, guidance=5.0, generator=None):
    """Deterministic DDIM (eta = 0) with classifier-free guidance; returns latents."""
    ac = alphas_cumprod()
    x = torch.randn(shape, generator=generator)
    timesteps, ratio = ddim_timesteps(steps)
    context = torch.cat([uncond, cond])
    for t in timesteps:
        tt = torch.full((2 * shape[0],), t, dtype=torch.long)
        eps_u, eps_c = unet(torch.cat([x, x]), tt, context).chunk(2)
        eps = eps_u + guidance * (eps_c - eps_u)
        a_t = ac[t]
        a_prev = ac[t - ratio] if t - ratio >= 0 else ac[0]
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x

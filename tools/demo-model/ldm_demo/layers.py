"""Building blocks shared by the autoencoder, the UNet and the text encoder.

Attention is written with matmul + softmax: torch 1.13 has no fused attention, and the
plain ops export to ONNX opset 14+ as MatMul/Softmax that onnxruntime runs anywhere.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F


def group_norm(channels):
    return nn.GroupNorm(min(8, channels // 4), channels, eps=1e-6)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, with an optional timestep embedding added in between."""

    def __init__(self, cin, cout, emb_dim=None):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, cout) if emb_dim else None
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.emb is not None:
            h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


def attention(q, k, v, heads, mask=None):
    """Multi-head attention on [batch, tokens, dim] tensors."""
    b, n, d = q.shape
    m = k.shape[1]
    hd = d // heads
    q = q.reshape(b, n, heads, hd).transpose(1, 2)
    k = k.reshape(b, m, heads, hd).transpose(1, 2)
    v = v.reshape(b, m, heads, hd).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
    if mask is not None:
        scores = scores + mask
    out = torch.matmul(torch.softmax(scores, dim=-1), v)
    return out.transpose(1, 2).reshape(b, n, d)


class Attention(nn.Module):
    def __init__(self, dim, heads, context_dim=None):
        super().__init__()
        context_dim = context_dim or dim
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context=None, mask=None):
        context = x if context is None else context
        out = attention(self.to_q(x), self.to_k(context), self.to_v(context), self.heads, mask)
        return self.to_out(out)


class GEGLU(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.proj = nn.Linear(dim, dim * mult * 2)
        self.out = nn.Linear(dim * mult, dim)

    def forward(self, x):
        a, gate = self.proj(x).chunk(2, dim=-1)
        return self.out(a * F.gelu(gate))


def timestep_embedding(t, dim, max_period=10000.0):
    """Sinusoidal embedding of (integer) timesteps, as in DDPM / LDM."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.to(torch.float32)[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)

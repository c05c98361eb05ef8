"""Stage 2 denoiser: a UNet over 8x8x4 latents with timestep embedding and
cross-attention transformer blocks (LDM's SpatialTransformer) at every level.

Levels: 8x8 with C channels, 4x4 with 2C channels, a middle block at 4x4, and the
mirrored up path with skip connections. Every ResBlock is followed by a transformer
block: self-attention over latent positions, cross-attention to the caption's token
states, and a GEGLU feed-forward.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .layers import GEGLU, Attention, ResBlock, group_norm, timestep_embedding


class TransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, heads, context_dim)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = GEGLU(dim, mult=2)

    def forward(self, x, context):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), context)
        return x + self.ff(self.norm3(x))


class SpatialTransformer(nn.Module):
    """Flattens the feature map to tokens, runs a transformer block, reshapes back."""

    def __init__(self, channels, context_dim, heads):
        super().__init__()
        self.norm = group_norm(channels)
        self.proj_in = nn.Linear(channels, channels)
        self.block = TransformerBlock(channels, context_dim, heads)
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x, context):
        b, c, h, w = x.shape
        tokens = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        tokens = self.proj_out(self.block(self.proj_in(tokens), context))
        return x + tokens.transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    def __init__(self, in_channels=4, base=96, context_dim=128, heads=4):
        super().__init__()
        c1, c2 = base, base * 2
        self.base, self.in_channels, self.context_dim, self.heads = base, in_channels, context_dim, heads
        self.block_out_channels = (c1, c2)
        emb = base * 4
        self.time_mlp = nn.Sequential(nn.Linear(base, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.conv_in = nn.Conv2d(in_channels, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, emb)
        self.down1_attn = SpatialTransformer(c1, context_dim, heads)
        self.downsample = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2 = ResBlock(c1, c2, emb)
        self.down2_attn = SpatialTransformer(c2, context_dim, heads)
        self.mid1 = ResBlock(c2, c2, emb)
        self.mid_attn = SpatialTransformer(c2, context_dim, heads)
        self.mid2 = ResBlock(c2, c2, emb)
        self.up2 = ResBlock(c2 + c2, c2, emb)
        self.up2_attn = SpatialTransformer(c2, context_dim, heads)
        self.upsample = nn.Conv2d(c2, c2, 3, padding=1)
        self.up1 = ResBlock(c2 + c1, c1, emb)
        self.up1_attn = SpatialTransformer(c1, context_dim, heads)
        self.norm_out = group_norm(c1)
        self.conv_out = nn.Conv2d(c1, in_channels, 3, padding=1)
        # Start as an identity-free predictor of zero: stabilises the first steps.
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, encoder_hidden_states):
        emb = self.time_mlp(timestep_embedding(timestep, self.base))
        ctx = encoder_hidden_states
        h1 = self.down1_attn(self.down1(self.conv_in(sample), emb), ctx)
        h2 = self.down2_attn(self.down2(self.downsample(h1), emb), ctx)
        h = self.mid2(self.mid_attn(self.mid1(h2, emb), ctx), emb)
        h = self.up2_attn(self.up2(torch.cat([h, h2], dim=1), emb), ctx)
        h = self.upsample(F.interpolate(h, scale_factor=2.0, mode='nearest'))
        h = self.up1_attn(self.up1(torch.cat([h, h1], dim=1), emb), ctx)
        return self.conv_out(F.silu(self.norm_out(h)))

"""The x4 upscaler in Stable Diffusion's x4-upscaler layout, small.

- Autoencoder: f = 4 (block_out_channels of length 3), 4 latent channels: a 256 px image is a
  64x64x4 latent, the size of the 64 px input it is conditioned on.
- UNet: 7 input channels (4 latent + 3 noised low-res RGB), `class_labels` = the low-res noise
  level through an embedding added to the timestep embedding (diffusers' num_class_embeds),
  cross-attention to the text states, epsilon/v output with 4 channels.

No normalisation layers in the convolution paths: both networks are trained on crops and run on
whole images, and a norm's statistics would differ between the two; without them every output
pixel depends only on its receptive field, so the VAE decoder can also be run in tiles.
"""

import torch
from torch import nn
from torch.nn import functional as F
from ldm_demo.layers import Attention, timestep_embedding

LATENT_CHANNELS = 4
BLOCK_OUT_CHANNELS = (16, 32, 48)  # encoder, finest first
DECODER_BLOCK_OUT_CHANNELS = (24, 32, 48)
MAX_NOISE_LEVEL = 350
NUM_CLASS_EMBEDS = 1000


class Res(nn.Module):
    def __init__(self, cin, cout, emb_dim=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, cout) if emb_dim else None
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(x))
        if self.emb is not None:
            h = h + self.emb(F.silu(emb))[:, :, None, None]
        return self.skip(x) + self.conv2(F.silu(h))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        e0, e1, e2 = BLOCK_OUT_CHANNELS
        d0, d1, d2 = DECODER_BLOCK_OUT_CHANNELS
        self.encoder = nn.Sequential(
            nn.Conv2d(3, e0, 3, padding=1), Res(e0, e0), nn.Conv2d(e0, e1, 3, stride=2, padding=1),
            Res(e1, e1), nn.Conv2d(e1, e2, 3, stride=2, padding=1), Res(e2, e2), nn.SiLU(),
            nn.Conv2d(e2, 2 * LATENT_CHANNELS, 3, padding=1))
        self.decoder = nn.Sequential(
            nn.Conv2d(LATENT_CHANNELS, d2, 3, padding=1), Res(d2, d2), Res(d2, d2), Up(d2, d1), Res(d1, d1),
            Up(d1, d0), Res(d0, d0), nn.SiLU(), nn.Conv2d(d0, 3, 3, padding=1))

    def encode(self, x):
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z):
        return self.decoder(z)


class CrossAttention(nn.Module):
    """Per-token LayerNorm + cross-attention to the text; no self-attention (see module doc)."""

    def __init__(self, channels, context_dim, heads=4):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.attn = Attention(channels, heads, context_dim)
        nn.init.zeros_(self.attn.to_out.weight)
        nn.init.zeros_(self.attn.to_out.bias)

    def forward(self, x, context):
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)
        tokens = tokens + self.attn(self.norm(tokens), context)
        return tokens.transpose(1, 2).reshape(b, c, h, w)


class UpscaleUNet(nn.Module):
    def __init__(self, channels=(32, 64), context_dim=128, heads=4):
        super().__init__()
        c0, c1 = channels
        self.block_out_channels, self.context_dim, self.heads = channels, context_dim, heads
        self.in_channels, self.out_channels = LATENT_CHANNELS + 3, LATENT_CHANNELS
        self.temb_dim = c0
        emb = 4 * c0
        self.time_mlp = nn.Sequential(nn.Linear(c0, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_embedding = nn.Embedding(NUM_CLASS_EMBEDS, emb)
        self.conv_in = nn.Conv2d(self.in_channels, c0, 3, padding=1)
        self.down0 = Res(c0, c0, emb)
        self.downsample = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1 = Res(c0, c1, emb)
        self.attn_down = CrossAttention(c1, context_dim, heads)
        self.mid1 = Res(c1, c1, emb)
        self.attn_mid = CrossAttention(c1, context_dim, heads)
        self.mid2 = Res(c1, c1, emb)
        self.up1 = Res(2 * c1, c1, emb)
        self.attn_up = CrossAttention(c1, context_dim, heads)
        self.upsample = Up(c1, c1)
        self.up0 = Res(c1 + c0, c0, emb)
        self.up0b = Res(2 * c0, c0, emb)
        self.conv_out = nn.Conv2d(c0, self.out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, context, class_labels):
        emb = self.time_mlp(timestep_embedding(timestep, self.temb_dim))
        emb = emb + self.class_embedding(class_labels.long())
        h_in = self.conv_in(sample)
        h0 = self.down0(h_in, emb)
        h1 = self.attn_down(self.down1(self.downsample(h0), emb), context)
        m = self.mid2(self.attn_mid(self.mid1(h1, emb), context), emb)
        u1 = self.attn_up(self.up1(torch.cat([m, h1], 1), emb), context)
        u0 = self.up0(torch.cat([self.upsample(u1), h0], 1), emb)
        u0 = self.up0b(torch.cat([u0, h_in], 1), emb)
        return self.conv_out(F.silu(u0))

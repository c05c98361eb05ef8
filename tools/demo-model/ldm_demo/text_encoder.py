"""The paper's tau-theta: a small causal transformer over caption tokens, trained jointly
with the UNet. Like CLIP's text model it has a causal mask (a token's state does not
depend on the padding after it), a final LayerNorm, and a pooled output taken at <eos>.
"""

import torch
from torch import nn

from .layers import GEGLU, Attention
from .tokenizer import EOS_ID, MODEL_MAX_LENGTH, VOCAB


class TransformerLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = GEGLU(dim, mult=2)

    def forward(self, x, mask):
        x = x + self.attn(self.norm1(x), mask=mask)
        return x + self.ff(self.norm2(x))


class TextEncoder(nn.Module):
    def __init__(self, dim=128, layers=2, heads=4, vocab_size=len(VOCAB), max_length=MODEL_MAX_LENGTH):
        super().__init__()
        self.dim, self.num_layers, self.heads = dim, layers, heads
        self.vocab_size, self.max_length = vocab_size, max_length
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Parameter(torch.randn(max_length, dim) * 0.02)
        self.layers = nn.ModuleList([TransformerLayer(dim, heads) for _ in range(layers)])
        self.final_norm = nn.LayerNorm(dim)
        # Large negative instead of -inf keeps softmax finite in every runtime.
        causal = torch.triu(torch.full((max_length, max_length), -1e4), diagonal=1)
        self.register_buffer('causal_mask', causal, persistent=False)

    def forward(self, input_ids):
        n = input_ids.shape[1]
        x = self.token_embedding(input_ids.long()) + self.position_embedding[:n]
        mask = self.causal_mask[:n, :n]
        for layer in self.layers:
            x = layer(x, mask)
        hidden = self.final_norm(x)
        eos_index = (input_ids == EOS_ID).to(torch.float32).argmax(dim=-1)
        # gather (not fancy indexing) so the export stays a plain GatherElements.
        index = eos_index[:, None, None].expand(-1, 1, hidden.shape[2])
        pooled = hidden.gather(1, index).squeeze(1)
        return hidden, pooled

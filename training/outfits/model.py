"""The compatibility model: a set network over the items of an outfit.

Each item's features go through a shared MLP (phi); the item embeddings are pooled by masked mean,
max and min (min over multi-hot blocks is the intersection the occasion and season rules need,
max is the union the colour rule needs); the raw features are pooled the same way (counts, union,
intersection), and an MLP (rho) maps the pooled vectors to a logit.
`score` is the probability that the outfit is compatible.
"""

from __future__ import annotations

import torch
from torch import nn

BIG = 1e4


class OutfitCompatibility(nn.Module):
    def __init__(self, dim: int, hidden: int = 64):
        super().__init__()
        self.dim = dim
        self.hidden = hidden
        self.phi = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.rho = nn.Sequential(nn.Linear(3 * hidden + 3 * dim + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def logits(self, items: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """items [B, N, dim], mask [B, N] (1 = item, 0 = padding) -> logits [B]."""
        m = mask.unsqueeze(-1)
        h = self.phi(items)
        n = mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        mean = (h * m).sum(dim=1) / n
        mx = (h - (1.0 - m) * BIG).max(dim=1).values
        mn = (h + (1.0 - m) * BIG).min(dim=1).values
        # raw attribute counts: how many items carry each value (pattern and colour rules count items)
        counts = (items * m).sum(dim=1)
        union = (items - (1.0 - m) * BIG).max(dim=1).values
        shared = (items + (1.0 - m) * BIG).min(dim=1).values
        return self.rho(torch.cat([mean, mx, mn, counts, union, shared, n], dim=1)).squeeze(-1)

    def forward(self, items: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(items, mask))

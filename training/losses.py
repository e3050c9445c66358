"""Training objectives: masked-language modelling, symmetric InfoNCE (CLIP) with a learned
temperature, the triplet loss with click-log and in-batch hard negatives, and auxiliary
attribute classifiers."""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def mask_tokens(ids: torch.Tensor, mask: torch.Tensor, mask_id: int, vocab_size: int, n_special: int,
                prob: float = 0.15, generator: Optional[torch.Generator] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: of the chosen positions 80% -> [MASK], 10% random token, 10% unchanged.
    Special tokens ([CLS], [SEP], padding) are never chosen. Returns (inputs, labels) with
    label -100 where no prediction is asked."""
    dev = ids.device
    special = ids < n_special
    r = torch.rand(ids.shape, generator=generator).to(dev)
    chosen = (r < prob) & mask.bool() & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r2 = torch.rand(ids.shape, generator=generator).to(dev)
    inputs = ids.clone()
    inputs[chosen & (r2 < 0.8)] = mask_id
    rnd = chosen & (r2 >= 0.8) & (r2 < 0.9)
    rand_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator).to(dev)
    inputs[rnd] = rand_ids[rnd]
    return inputs, labels


def mlm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


class LogitScale(nn.Module):
    """Learned inverse temperature, stored as a log, clamped to at most 100."""

    def __init__(self, init_temperature: float = 0.07):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / init_temperature)))

    def forward(self) -> torch.Tensor:
        return self.log_scale.clamp(max=math.log(100.0)).exp()


def _pair_mask(groups: torch.Tensor) -> torch.Tensor:
    """[B,B] bool from a group id per row [B] (same id) or from a [B,B] matrix given as is."""
    return groups if groups.dim() == 2 else groups[:, None] == groups[None, :]


def info_nce(a: torch.Tensor, b: torch.Tensor, scale: torch.Tensor, groups: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Symmetric InfoNCE between row-aligned unit vectors a[i] <-> b[i]. When `groups` is
    given, off-diagonal pairs of the same group are not treated as negatives; `groups` is
    either a group id per row [B] or a matrix [B,B], true where a[i] also describes b[j]."""
    logits = scale * a @ b.t()
    if groups is not None:
        same = _pair_mask(groups)
        eye = torch.eye(len(a), dtype=torch.bool, device=a.device)
        logits = logits.masked_fill(same & ~eye, -1e4)
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor,
                 neg_valid: torch.Tensor, margin: float, pos_group: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Margin triplet loss with cosine distance.

    anchor [B,D], positive [B,D], negatives [B,K,D] (shown-but-not-clicked products) with
    validity mask [B,K]. The hardest in-batch negative (another row's positive that does not
    share the anchor's positive group: a group id per row [B], or a matrix [B,B] that is true
    where anchor i also describes positive j) is added to the explicit negatives."""
    pos_sim = (anchor * positive).sum(-1)
    losses = []
    if negatives.numel() > 0:
        neg_sim = torch.einsum("bd,bkd->bk", anchor, negatives)
        l = F.relu(margin - pos_sim[:, None] + neg_sim) * neg_valid.to(anchor.dtype)
        losses.append(l.sum(1) / neg_valid.to(anchor.dtype).sum(1).clamp(min=1.0))
    sim = anchor @ positive.t()
    invalid = torch.eye(len(anchor), dtype=torch.bool, device=anchor.device)
    if pos_group is not None:
        invalid = invalid | _pair_mask(pos_group)
    hardest = sim.masked_fill(invalid, -2.0).max(dim=1).values
    losses.append(F.relu(margin - pos_sim + hardest))
    return torch.stack(losses, 0).sum(0).mean()


class AttributeHeads(nn.Module):
    """Training-only cosine classifiers from an embedding to labelled attributes (category,
    colour, pattern, material), one prototype per value. The mean cross-entropy pulls the
    products of one value together in the shared space; the heads are not exported."""

    def __init__(self, sizes: Dict[str, int], dim: int, scale: float = 16.0,
                 weights: Optional[Dict[str, float]] = None):
        super().__init__()
        self.prototypes = nn.ParameterDict({k: nn.Parameter(torch.randn(n, dim) * 0.1) for k, n in sizes.items()})
        self.scale = scale
        unknown = set(weights or {}) - set(sizes)
        if unknown:
            raise ValueError(f"attribute loss weights for unknown attributes: {sorted(unknown)}")
        self.weights = {k: float((weights or {}).get(k, 1.0)) for k in sizes}

    def forward(self, emb: torch.Tensor, labels: Dict[str, torch.Tensor],
                known: Optional[Dict[str, torch.Tensor]] = None) -> torch.Tensor:
        """Mean cross-entropy over the attributes, each times its weight; `known` [B] bool per attribute limits each one
        to the rows whose label is known (a text that does not name the colour, say)."""
        losses = []
        for k, w in self.prototypes.items():
            ce = F.cross_entropy(self.scale * emb @ F.normalize(w, dim=1).t(), labels[k], reduction="none")
            if known is not None:
                m = known[k].to(ce.dtype)
                ce = ce * m * (len(m) / m.sum().clamp(min=1.0))
            losses.append(self.weights[k] * ce.mean())
        return torch.stack(losses).mean()

"""Text towers (RoBERTa-style transformer, GRU baseline), image tower (compact CNN) and the
gated residual fusion network. Every tower returns L2-normalised 128-d embeddings.

Attention is written with plain matrix products so that the ONNX export is identical on
PyTorch 1.13 and 2.x.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

DIM = 128


def l2norm(x: torch.Tensor) -> torch.Tensor:
    # x / sqrt(sum(x^2) + eps): exports to plain ONNX ops.
    return x / torch.sqrt((x * x).sum(dim=-1, keepdim=True) + 1e-12)


def masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(h.dtype).unsqueeze(-1)
    return (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


class SelfAttention(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float):
        super().__init__()
        self.h = heads
        self.dk = d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.reshape(b, t, self.h, self.dk).transpose(1, 2)
        k = k.reshape(b, t, self.h, self.dk).transpose(1, 2)
        v = v.reshape(b, t, self.h, self.dk).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dk)) + bias
        att = self.drop(torch.softmax(att, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        return self.out(y)


class EncoderLayer(nn.Module):
    def __init__(self, d: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.att = SelfAttention(d, heads, dropout)
        self.ln1 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))
        self.ln2 = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = self.ln1(x + self.drop(self.att(x, bias)))
        return self.ln2(x + self.drop(self.ff(x)))


class TextTransformer(nn.Module):
    """RoBERTa-style encoder: token + learned position embeddings, post-LN layers,
    masked mean pooling, projection into the shared space."""

    def __init__(self, vocab_size: int, d: int = 128, layers: int = 2, heads: int = 4, ff: int = 256,
                 max_len: int = 32, dropout: float = 0.1, dim: int = DIM):
        super().__init__()
        self.config = dict(kind="transformer", vocab_size=vocab_size, d=d, layers=layers, heads=heads, ff=ff,
                           max_len=max_len, dropout=dropout, dim=dim)
        self.tok = nn.Embedding(vocab_size, d)
        self.pos = nn.Embedding(max_len, d)
        self.ln = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList([EncoderLayer(d, heads, ff, dropout) for _ in range(layers)])
        self.proj = nn.Linear(d, dim)
        # MLM head (pre-training only; tied to the token embedding)
        self.mlm_dense = nn.Linear(d, d)
        self.mlm_ln = nn.LayerNorm(d)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab_size))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.drop(self.ln(self.tok(input_ids) + self.pos(pos)))
        bias = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -1e4
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def mlm_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                   positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Vocabulary logits [B,T,V]; with a boolean `positions` mask [B,T], only at those
        positions ([N,V]), which spares the output layer the unmasked tokens."""
        h = self.hidden(input_ids, attention_mask)
        if positions is not None:
            h = h[positions]
        h = self.mlm_ln(F.gelu(self.mlm_dense(h)))
        return h @ self.tok.weight.t() + self.mlm_bias

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.hidden(input_ids, attention_mask)
        return l2norm(self.proj(masked_mean(h, attention_mask)))


class TextGRU(nn.Module):
    """GRU baseline: embeddings, unidirectional two-layer GRU (padding sits after the tokens,
    so it never reaches a real position), masked mean pooling, projection."""

    def __init__(self, vocab_size: int, d: int = 128, hidden: int = 192, layers: int = 2, dim: int = DIM,
                 dropout: float = 0.1):
        super().__init__()
        self.config = dict(kind="gru", vocab_size=vocab_size, d=d, hidden=hidden, layers=layers, dim=dim,
                           dropout=dropout)
        self.tok = nn.Embedding(vocab_size, d)
        self.gru = nn.GRU(d, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.tok(input_ids))
        return l2norm(self.proj(masked_mean(h, attention_mask)))


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ImageCNN(nn.Module):
    """Six 3x3 convolutions (32-32-64-64-128-128) at 32 px, max-pooling after each pair,
    then a two-layer head on the flattened 4x4 map (keeps the silhouette layout) plus the
    pooled colour statistics."""

    def __init__(self, dim: int = DIM, size: int = 32, width: int = 32):
        super().__init__()
        self.config = dict(kind="cnn", dim=dim, size=size, width=width)
        w = width
        self.features = nn.Sequential(
            _conv(3, w), _conv(w, w), nn.MaxPool2d(2),
            _conv(w, 2 * w), _conv(2 * w, 2 * w), nn.MaxPool2d(2),
            _conv(2 * w, 4 * w), _conv(4 * w, 4 * w), nn.MaxPool2d(2),
        )
        s = size // 8
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * w * s * s, 512), nn.ReLU(inplace=True),
                                  nn.Dropout(0.1))
        self.out = nn.Linear(512 + 4 * w, dim)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        f = self.features(pixel_values)
        pooled = f.mean(dim=(2, 3))
        return l2norm(self.out(torch.cat([self.head(f), pooled], dim=1)))


class FusionCombiner(nn.Module):
    """Gated residual combiner (CLIP4Cir style): the combined features plus a learned,
    per-query convex mix of the two input embeddings."""

    def __init__(self, dim: int = DIM, hidden: int = 512):
        super().__init__()
        self.config = dict(kind="combiner", dim=dim, hidden=hidden)
        self.img = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True))
        self.txt = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True))
        self.mix = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(0.1),
                                 nn.Linear(hidden, dim))
        self.gate = nn.Sequential(nn.Linear(2 * hidden, hidden // 2), nn.ReLU(inplace=True),
                                  nn.Linear(hidden // 2, 1), nn.Sigmoid())

    def forward(self, image_embedding: torch.Tensor, text_embedding: torch.Tensor) -> torch.Tensor:
        h = torch.cat([self.img(image_embedding), self.txt(text_embedding)], dim=1)
        g = self.gate(h)
        return l2norm(self.mix(h) + g * image_embedding + (1.0 - g) * text_embedding)


def build(config: dict) -> nn.Module:
    cfg = dict(config)
    kind = cfg.pop("kind")
    if kind == "transformer":
        return TextTransformer(**cfg)
    if kind == "gru":
        return TextGRU(**cfg)
    if kind == "cnn":
        return ImageCNN(**cfg)
    if kind == "combiner":
        return FusionCombiner(**cfg)
    raise ValueError(f"unknown model kind {kind!r}")

"""The whole training pipeline: tokenizer, MLM pre-training, contrastive alignment of the
text and image towers, triplet fine-tuning of the query side, the GRU baseline, the fusion
network, validation, ONNX export, manifest and golden fixtures, and the query lexicon.

Everything is learnt from the seed catalogue's train split; the validation split is measured
only (validate); the test split is never built (training.data.build_training_catalogue).

    /usr/bin/python3 -m training.train --profile full --out models
    /usr/bin/python3 -m training.train --profile smoke --out /tmp/models-smoke

With --catalog DIR, the text and image towers are trained on a shop's own catalogue instead
(training/catalog.py), without the seed generator; with --events, the query tower is fine-tuned on
recorded traffic (training/traffic/finetune.py).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import augment, export
from .config import Config, for_profile
from .metrics import mean_r10_r50, precision_at, recall_at, top_k
from .losses import AttributeHeads, LogitScale, info_nce, mask_tokens, mlm_loss, triplet_loss
from .models import FusionCombiner, ImageCNN, TextGRU, TextTransformer
from .tokenizer import SPECIAL_TOKENS, WordPieceTokenizer, train_wordpiece
from .tokenizer_cases import cases as tokenizer_cases

# The seed catalogue's modules (training.data, training.lexicon, seed.generator) are imported by the
# functions that use them, so that `--catalog` runs (training.catalog) never load the seed generator.
if TYPE_CHECKING:
    from .data import TrainData, ValidationData

T0 = time.time()
BATCHER = None  # the run's shared tokenisation cache


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def device() -> torch.device:
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        return torch.device("cuda")
    return torch.device("cpu")


def check_blas() -> None:
    """Debian's PyTorch multiplies matrices with the system BLAS: warn when it is slow."""
    a = torch.randn(384, 384)
    a @ a
    t = time.time()
    for _ in range(4):
        a @ a
    gflops = 4 * 2 * 384 ** 3 / max(time.time() - t, 1e-9) / 1e9
    log(f"CPU matrix products: {gflops:.1f} GFLOP/s")
    if gflops < 8:
        log("warning: slow BLAS (the reference implementation?); `apt-get install libopenblas0-pthread` "
            "makes training many times faster")


class Batcher:
    """Tokenises on demand with a cache, returns padded tensors on the device."""

    def __init__(self, tok: WordPieceTokenizer, dev: torch.device):
        self.tok, self.dev, self.cache = tok, dev, {}

    def prefill(self, texts: List[str], workers: int) -> None:
        """Tokenise many texts at once (in worker processes when asked)."""
        todo = sorted(set(t for t in texts if t not in self.cache))
        if not todo:
            return
        if workers > 1 and len(todo) > 20000:
            from multiprocessing import get_context

            global _POOL_TOKENIZER
            _POOL_TOKENIZER = self.tok
            step = (len(todo) + workers * 4 - 1) // (workers * 4)
            with get_context("fork").Pool(workers) as pool:
                parts = pool.map(_encode_many, [todo[i: i + step] for i in range(0, len(todo), step)])
            for chunk, ids in zip([todo[i: i + step] for i in range(0, len(todo), step)], parts):
                self.cache.update(zip(chunk, ids))
        else:
            self.cache.update((t, self.tok.encode(t)) for t in todo)

    def __call__(self, texts: List[str]):
        enc = []
        for t in texts:
            ids = self.cache.get(t)
            if ids is None:
                ids = self.tok.encode(t)
                if len(self.cache) < 2_000_000:
                    self.cache[t] = ids
            enc.append(ids)
        n = max(len(e) for e in enc)
        ids = torch.zeros(len(enc), n, dtype=torch.long)
        mask = torch.zeros(len(enc), n, dtype=torch.long)
        for i, e in enumerate(enc):
            ids[i, : len(e)] = torch.tensor(e)
            mask[i, : len(e)] = 1
        return ids.to(self.dev), mask.to(self.dev)


_POOL_TOKENIZER: Optional[WordPieceTokenizer] = None


def _encode_many(texts: List[str]) -> List[List[int]]:
    return [_POOL_TOKENIZER.encode(t) for t in texts]


def workers_count() -> int:
    return max(1, min(16, (os.cpu_count() or 2) - 1))


def chunks(idx: np.ndarray, size: int, drop_last: bool = True):
    stop = len(idx) - (len(idx) % size if drop_last and len(idx) >= size else 0)
    for s in range(0, stop, size):
        yield idx[s: s + size]


class Stage:
    """Time share of one stage when the run has a time budget (--time-budget): the learning
    rate follows the further of step progress and time progress, and the stage stops at its
    deadline."""
    ends: Dict[str, float] = {}

    def __init__(self, name: str):
        self.start = time.time()
        self.end = Stage.ends.get(name, float("inf"))

    def over(self) -> bool:
        return time.time() > self.end

    def progress(self) -> float:
        if self.end == float("inf"):
            return 0.0
        return (time.time() - self.start) / max(1e-6, self.end - self.start)


# Shares of the training time per stage, in proportion to the full profile's cost on a 2-core CPU;
# deadlines are cumulative, so time a stage leaves over passes to the next ones.
STAGE_SHARES = [("mlm", 0.025), ("clip", 0.64), ("triplet", 0.15), ("gru-align", 0.09), ("gru-triplet", 0.06),
                ("fusion", 0.035)]


def plan_stages(cfg: Config, started: float, shares=STAGE_SHARES) -> None:
    if not cfg.time_budget:
        return
    avail = cfg.time_budget - (time.time() - started) - cfg.time_reserve
    t = time.time()
    for name, share in shares:
        t += share * max(avail, 0.0)
        Stage.ends[name] = t
    log(f"time budget: {avail:.0f}s for training, stage deadlines planned")


def cosine_schedule(opt, total: int, warmup: int = 50, stage: Optional[Stage] = None):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        p = min(1.0, (step - warmup) / max(1, total - warmup))
        if stage is not None:
            p = max(p, min(1.0, stage.progress()))
        return 0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * p))
    return torch.optim.lr_scheduler.LambdaLR(opt, f)


# ---------------------------------------------------------------- stage (b): MLM
def train_mlm(model: TextTransformer, tok: WordPieceTokenizer, corpus: List[str], cfg: Config, dev, rng) -> float:
    bat = BATCHER
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.mlm_lr, weight_decay=0.01)
    per_epoch = min(len(corpus), cfg.mlm_samples) if cfg.mlm_samples else len(corpus)
    steps = cfg.mlm_epochs * max(1, per_epoch // cfg.mlm_batch)
    stage = Stage("mlm")
    sched = cosine_schedule(opt, steps, stage=stage)
    model.train()
    loss_v = float("nan")
    for ep in range(cfg.mlm_epochs):
        if stage.over():
            break
        order = rng.permutation(len(corpus))[:per_epoch]
        tot, n = 0.0, 0
        for b in chunks(order, cfg.mlm_batch):
            ids, mask = bat([corpus[i] for i in b])
            inp, labels = mask_tokens(ids, mask, tok.mask_id, len(tok), len(SPECIAL_TOKENS))
            chosen = labels != -100
            loss = mlm_loss(model.mlm_logits(inp, mask, chosen), labels[chosen])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot, n = tot + loss.item(), n + 1
            if stage.over():
                break
        loss_v = tot / max(n, 1)
        log(f"mlm epoch {ep + 1}/{cfg.mlm_epochs} loss {loss_v:.3f}")
    return loss_v


# ---------------------------------------------------------------- helpers
def channels_last(x: torch.Tensor) -> torch.Tensor:
    """NHWC layout in memory, which oneDNN's CPU convolutions run faster on."""
    return x.contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def embed_images(model: ImageCNN, images_u8: torch.Tensor, batch: int = 2048) -> torch.Tensor:
    model.eval()
    out = [model(channels_last(augment.preprocess(images_u8[s: s + batch]))) for s in range(0, len(images_u8), batch)]
    return torch.cat(out)


@torch.no_grad()
def embed_texts(model, bat: Batcher, texts: List[str], batch: int = 1024) -> torch.Tensor:
    model.eval()
    return torch.cat([model(*bat(texts[s: s + batch])) for s in range(0, len(texts), batch)])


def one_variant_per_style(data: TrainData, styles: np.ndarray, rng) -> np.ndarray:
    return np.array([data.style_products[s][rng.integers(len(data.style_products[s]))] for s in styles])


def text_group(texts: List[str], dev) -> torch.Tensor:
    ids: Dict[str, int] = {}
    return torch.tensor([ids.setdefault(t, len(ids)) for t in texts], device=dev)


def described(groups: torch.Tensor, stating, labels: Dict[str, torch.Tensor],
              named: Optional[Dict[str, torch.Tensor]] = None) -> torch.Tensor:
    """[B,B] bool: text i describes product j, because the texts are identical or because j has
    every attribute text i names (stating[i]), with the values of product i (labels) or the
    values text i states (named, class indices); such pairs are not negatives of each other."""
    same = groups[:, None] == groups[None, :]
    # a text that names nothing checkable describes only what identical texts describe
    attr = torch.tensor([len(st) > 0 for st in stating], device=same.device)[:, None].expand_as(same).clone()
    for k, lab in labels.items():
        names = torch.tensor([k in st for st in stating], device=same.device)
        mine = lab if named is None else named[k]
        attr &= (mine[:, None] == lab[None, :]) | ~names[:, None]
    return same | attr


# ---------------------------------------------------------------- stage (c): CLIP alignment
def train_clip(text_model: TextTransformer, image_model: ImageCNN, data: TrainData, tok, cfg: Config, dev, rng,
               images: torch.Tensor, train_styles: np.ndarray) -> float:
    """Symmetric InfoNCE between product texts and photo-style views of the product image (a
    product with every attribute a text names is not that text's negative), an instance loss
    between two views ("view") or between one view and its clean render embedded without
    gradient ("clean", one backward pass per image), and auxiliary attribute classifiers whose
    prototypes the image embedding and the text embedding (for the attributes its text names)
    share."""
    from .data import LABELLED

    if cfg.instance_target not in ("clean", "view"):
        raise ValueError(f"instance_target must be 'clean' or 'view', not {cfg.instance_target!r}")
    bat = BATCHER
    scale, scale_inst = LogitScale().to(dev), LogitScale().to(dev)
    heads = AttributeHeads({k: len(v) for k, v in LABELLED.items()}, image_model.config["dim"],
                           weights=cfg.attribute_loss_weights).to(dev)
    labels = data.label_tensors(dev)
    image_params = list(image_model.parameters()) + list(scale.parameters()) + list(scale_inst.parameters()) \
        + list(heads.parameters())
    params = image_params + list(text_model.parameters())
    opt = torch.optim.AdamW([
        {"params": image_params, "lr": cfg.clip_lr},
        {"params": list(text_model.parameters()), "lr": cfg.clip_lr * 0.5},
    ], weight_decay=0.02)
    steps = cfg.clip_epochs * max(1, len(train_styles) // cfg.clip_batch)
    stage = Stage("clip")
    sched = cosine_schedule(opt, steps, warmup=min(200, steps // 10 + 1), stage=stage)
    loss_v = float("nan")
    for ep in range(cfg.clip_epochs):
        if stage.over():
            break
        text_model.train()
        image_model.train()
        prods = one_variant_per_style(data, rng.permutation(train_styles), rng)
        tot, n = 0.0, 0
        for b in chunks(prods, cfg.clip_batch):
            texts, stating = zip(*(data.training_text_stating(i, rng) for i in b))
            texts = list(texts)
            ids, mask = bat(texts)
            at = torch.from_numpy(b).to(dev)
            imgs = images[at]
            product_labels = {k: v[at] for k, v in labels.items()}
            groups = text_group(texts, dev)
            if cfg.attribute_negatives:
                groups = described(groups, stating, product_labels)
            t = text_model(ids, mask)
            if cfg.instance_target == "clean":
                e = image_model(channels_last(augment.augment(imgs, strength=cfg.augment_strength)))
                with torch.no_grad():
                    clean = image_model(channels_last(augment.preprocess(imgs)))
                loss = info_nce(t, e, scale(), groups) + cfg.instance_weight * info_nce(e, clean, scale_inst()) \
                    + cfg.attribute_weight * heads(e, product_labels)
            else:  # "view": two photo-style views, both trained (twice the image cost)
                views = torch.cat([augment.augment(imgs, strength=cfg.augment_strength) for _ in range(2)])
                e, e2 = image_model(channels_last(views)).chunk(2)
                loss = 0.5 * (info_nce(t, e, scale(), groups) + info_nce(t, e2, scale(), groups)) \
                    + cfg.instance_weight * info_nce(e, e2, scale_inst()) \
                    + 0.5 * cfg.attribute_weight * (heads(e, product_labels) + heads(e2, product_labels))
            if cfg.text_attribute_weight:
                # the text embedding shares the prototypes, for the attributes its text names
                known = {k: torch.tensor([k in st for st in stating], device=dev) for k in LABELLED}
                loss = loss + cfg.text_attribute_weight * heads(t, product_labels, known)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 2.0)
            opt.step()
            sched.step()
            tot, n = tot + loss.item(), n + 1
            if stage.over():
                break
        loss_v = tot / max(n, 1)
        log(f"clip epoch {ep + 1}/{cfg.clip_epochs} loss {loss_v:.3f} temperature {1 / scale().item():.4f}")
    return loss_v


# ---------------------------------------------------------------- stage (d): triplet fine-tuning
def triplet_examples(data: TrainData, cfg: Config) -> List[tuple]:
    """(anchor text, positive product, negative products, attributes the anchor states) from the
    train split's click logs and grade-2 text queries."""

    def has(p: int, stated: Dict[str, str]) -> bool:
        return all(v in data.attrs[p][k] for k, v in stated.items())

    ex = []
    for q, clicked, skipped, stated in data.clicks:
        # a product shown but not clicked that has every attribute the query names is no negative
        negs = [p for p in skipped if not (stated and has(p, stated))][: cfg.triplet_negatives]
        for p in clicked:
            ex.append((q, p, negs, stated))
    for q, positives, stated in data.queries:
        for p in positives[:8]:
            ex.append((q, p, [], stated))
    return ex


def train_triplet(model, data: TrainData, tok, cfg: Config, dev, rng, gallery: torch.Tensor,
                  train_styles: np.ndarray, epochs: int, lr: float, name: str) -> float:
    from .data import DESCRIBED, label_index

    bat = BATCHER
    examples = triplet_examples(data, cfg)
    if cfg.triplet_max_examples and len(examples) > cfg.triplet_max_examples:
        examples = [examples[i] for i in rng.permutation(len(examples))[: cfg.triplet_max_examples]]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    n_prod_per_epoch = len(train_styles)
    per_epoch = (len(examples) + n_prod_per_epoch) // cfg.triplet_batch
    stage = Stage(name)
    sched = cosine_schedule(opt, epochs * max(1, per_epoch), warmup=20, stage=stage)
    K = cfg.triplet_negatives
    category, colour = data.labels("category"), data.labels("color")
    train_prods = np.concatenate([data.style_products[s] for s in train_styles])
    same_colour = {c: train_prods[colour[train_prods] == c] for c in np.unique(colour[train_prods])}

    def product_anchor(p: int, r) -> tuple:
        """A product's own training text, positive the product, negatives confusable with it."""
        text, stating = data.training_text_stating(p, r)
        return text, p, confusable(p, r), {k: data.attrs[p][k][0] for k in stating}

    labels = data.label_tensors(dev)
    index = {k: label_index(k) for k in DESCRIBED}

    def negatives_mask(batch: List[tuple], pos_idx: torch.Tensor) -> torch.Tensor:
        """Anchor i and positive j are no in-batch negatives when j has what anchor i states."""
        stated = [x[3] for x in batch]
        named = {k: torch.tensor([index[k].get(st.get(k), -1) for st in stated], device=dev) for k in DESCRIBED}
        return described(text_group([x[0] for x in batch], dev), [tuple(st) for st in stated],
                         {k: v[pos_idx] for k, v in labels.items()}, named)

    def confusable(p: int, r) -> List[int]:
        """Hard negatives for a product's own text, which always names its category: products
        of the same colour in another category."""
        pool = same_colour[colour[p]]
        pick = pool[r.integers(len(pool), size=4 * cfg.triplet_hard_negatives)]
        return [int(q) for q in pick[category[pick] != category[p]][: cfg.triplet_hard_negatives]]

    loss_v = float("nan")
    for ep in range(epochs):
        if stage.over():
            break
        model.train()
        prods = one_variant_per_style(data, rng.permutation(train_styles), rng)
        items = [product_anchor(int(p), rng) for p in prods] + examples
        order = rng.permutation(len(items))
        tot, n = 0.0, 0
        for b in chunks(order, cfg.triplet_batch):
            batch = [items[i] for i in b]
            ids, mask = bat([x[0] for x in batch])
            pos_idx = torch.tensor([x[1] for x in batch], device=dev)
            neg_idx = torch.zeros(len(batch), K, dtype=torch.long)
            neg_valid = torch.zeros(len(batch), K, dtype=torch.bool)
            for i, x in enumerate(batch):
                for j, p in enumerate(x[2][:K]):
                    neg_idx[i, j] = p
                    neg_valid[i, j] = True
            neg_idx, neg_valid = neg_idx.to(dev), neg_valid.to(dev)
            a = model(ids, mask)
            loss = triplet_loss(a, gallery[pos_idx], gallery[neg_idx], neg_valid, cfg.triplet_margin,
                                pos_group=negatives_mask(batch, pos_idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot, n = tot + loss.item(), n + 1
            if stage.over():
                break
        loss_v = tot / max(n, 1)
        log(f"{name} epoch {ep + 1}/{epochs} loss {loss_v:.4f}")
    return loss_v


def train_gru_alignment(model: TextGRU, data: TrainData, tok, cfg: Config, dev, rng, gallery: torch.Tensor,
                        train_styles: np.ndarray) -> float:
    """The GRU baseline learns the shared space against the frozen gallery with InfoNCE."""
    bat = BATCHER
    scale = LogitScale().to(dev)
    opt = torch.optim.AdamW(list(model.parameters()) + list(scale.parameters()), lr=cfg.gru_lr, weight_decay=0.01)
    steps = cfg.gru_epochs * max(1, len(train_styles) // cfg.clip_batch)
    stage = Stage("gru-align")
    sched = cosine_schedule(opt, steps, stage=stage)
    loss_v = float("nan")
    for ep in range(cfg.gru_epochs):
        if stage.over():
            break
        model.train()
        prods = one_variant_per_style(data, rng.permutation(train_styles), rng)
        tot, n = 0.0, 0
        for b in chunks(prods, cfg.clip_batch):
            texts = [data.training_text(int(i), rng) for i in b]
            t = model(*bat(texts))
            loss = info_nce(t, gallery[torch.from_numpy(b).to(dev)], scale(), text_group(texts, dev))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot, n = tot + loss.item(), n + 1
            if stage.over():
                break
        loss_v = tot / max(n, 1)
        log(f"gru-align epoch {ep + 1}/{cfg.gru_epochs} loss {loss_v:.3f}")
    return loss_v


# ---------------------------------------------------------------- fusion
def composed_examples(data: TrainData, styles: np.ndarray, rng) -> List[tuple]:
    """(reference, modifier, target) from the seed's train triplets plus every one-attribute
    change between the variants of each style, phrased with varied templates."""
    keep = set(int(s) for s in styles)
    ex = [(r, m, t) for r, m, t in data.composed if int(data.style[r]) in keep]
    for s in styles:
        prods = data.style_products[s]
        for a in prods:
            for b in prods:
                if a == b:
                    continue
                change = data.change_between(int(a), int(b))
                if change is not None:
                    ex.append((int(a), change, int(b)))
    return ex


def train_fusion(model: FusionCombiner, text_model, data: TrainData, tok, cfg: Config, dev, rng,
                 gallery: torch.Tensor, styles: np.ndarray) -> float:
    from .data import modifier_text

    bat = BATCHER
    ex = composed_examples(data, styles, rng)
    scale = LogitScale(0.05).to(dev)
    opt = torch.optim.AdamW(list(model.parameters()) + list(scale.parameters()), lr=cfg.fusion_lr, weight_decay=0.01)
    per_epoch_ex = min(len(ex), cfg.fusion_samples) if cfg.fusion_samples else len(ex)
    per_epoch = max(1, per_epoch_ex // cfg.fusion_batch)
    stage = Stage("fusion")
    sched = cosine_schedule(opt, cfg.fusion_epochs * per_epoch, stage=stage)
    siblings = torch.tensor(np.stack([np.resize(data.style_products[s], 5) for s in range(len(data.style_products))]),
                            device=dev)
    text_cache: Dict[str, torch.Tensor] = {}

    def text_emb(mods: List[str]) -> torch.Tensor:
        missing = sorted({m for m in mods if m not in text_cache})
        if missing:
            e = embed_texts(text_model, bat, missing)
            text_cache.update(zip(missing, e))
        return torch.stack([text_cache[m] for m in mods])

    loss_v = float("nan")
    for ep in range(cfg.fusion_epochs):
        if stage.over():
            break
        model.train()
        order = rng.permutation(len(ex))[:per_epoch_ex]
        tot, n = 0.0, 0
        for b in chunks(order, cfg.fusion_batch):
            refs = torch.tensor([ex[i][0] for i in b], device=dev)
            tgts = torch.tensor([ex[i][2] for i in b], device=dev)
            mods = [modifier_text(ex[i][1], rng) if isinstance(ex[i][1], dict) else ex[i][1] for i in b]
            q = model(gallery[refs], text_emb(mods))
            sib = siblings[torch.from_numpy(data.style[[ex[i][0] for i in b]]).to(dev)].reshape(-1)  # [B*5]
            cand = torch.cat([tgts, sib])
            logits = scale() * q @ gallery[cand].t()
            dup = cand[None, :] == tgts[:, None]
            dup[:, : len(b)] = False  # keep each row's own target in the first block
            logits = logits.masked_fill(dup, -1e4)
            # targets of other rows that are the same product are not negatives either
            same = (tgts[:, None] == tgts[None, :]) & ~torch.eye(len(b), dtype=torch.bool, device=dev)
            logits[:, : len(b)] = logits[:, : len(b)].masked_fill(same, -1e4)
            loss = F.cross_entropy(logits, torch.arange(len(b), device=dev))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot, n = tot + loss.item(), n + 1
            if stage.over():
                break
        loss_v = tot / max(n, 1)
        log(f"fusion epoch {ep + 1}/{cfg.fusion_epochs} loss {loss_v:.3f} ({per_epoch_ex} of {len(ex)} triplets)")
    return loss_v


# ---------------------------------------------------------------- validation
# Augmented views embedded for val_photo_r@1: the first this many validation products (1,000
# styles, every variant) are enough for the number and keep validation of the full profile's
# 25,000 products to about a minute on a 2-core CPU.
VIEW_QUERIES = 5000


@torch.no_grad()
def validate(val: ValidationData, bat: Batcher, dev, image_model, text_models: Dict[str, torch.nn.Module],
             fusion) -> Dict[str, dict]:
    """Numbers on the validation split, which no gradient has seen, for choices and the run's
    report (the test split is the release evaluation's alone). The gallery is every validation
    product's clean render.

    - each text model: P@10 of the split's in-distribution colour+category queries
      (`val_color_category_p@10`) and of its held-out-lexicon queries (`val_heldout_p@10`),
      grade-2 products relevant;
    - fashion-image: R@1 of one seeded photo-style augmented view of each of the first
      VIEW_QUERIES products (`val_photo_r@1`), and R@1 and R@10 of the held-out-family real-shot
      photos, photographed and resized as the server sees them (`val_realshot_r@1`,
      `val_realshot_r@10`);
    - fashion-fusion: 100 x the mean of R@10 and R@50 of the sibling composed queries, for the
      fusion network (`val_composed_mean_r@10_r@50`) and for the normalised sum of the reference
      and modifier embeddings (`val_sum_baseline_mean_r@10_r@50`), and of the cross-style ones
      (`val_cross_style_mean_r@10_r@50`); the reference is left out of its ranking.
    """
    images = torch.from_numpy(val.images).to(dev)
    gal = embed_images(image_model, images)
    out: Dict[str, dict] = {}
    query_sets = {
        "val_color_category_p@10": [q for q in val.text_queries if q[1] == "color-category" and q[2] == "in"],
        "val_heldout_p@10": [q for q in val.text_queries if q[2] == "held-out"],
    }
    for name, m in text_models.items():
        row = {}
        for metric, qs in query_sets.items():
            if qs:
                top = top_k(embed_texts(m, bat, [q[0] for q in qs]), gal, 10)
                row[metric] = round(precision_at(top, [set(q[3]) for q in qs], 10), 4)
        if row:
            out[name] = row
    g = torch.Generator().manual_seed(0)
    n_views = min(len(images), VIEW_QUERIES)
    views = torch.cat([image_model(channels_last(augment.augment(images[s: min(s + 2048, n_views)], g)))
                       for s in range(0, n_views, 2048)])
    image_row = {"val_photo_r@1": round(float((top_k(views, gal, 1)[:, 0] == np.arange(n_views)).mean()), 4)}
    if len(val.photos):
        top = top_k(embed_images(image_model, torch.from_numpy(val.photos).to(dev)), gal, 10)
        own = [{int(p)} for p in val.photo_products]
        image_row["val_realshot_r@1"] = round(recall_at(top, own, 1), 4)
        image_row["val_realshot_r@10"] = round(recall_at(top, own, 10), 4)
    out["fashion-image"] = image_row
    if fusion is not None and val.composed:
        fusion.eval()
        refs = torch.tensor([c[0] for c in val.composed], device=dev)
        mods = embed_texts(text_models["fashion-text"], bat, [c[1] for c in val.composed])
        fused = fusion(gal[refs], mods)
        summed = F.normalize(gal[refs] + mods, dim=1)
        row = {}
        for target, metric, baseline in (("sibling", "val_composed_mean_r@10_r@50", "val_sum_baseline_mean_r@10_r@50"),
                                         ("cross-style", "val_cross_style_mean_r@10_r@50", None)):
            rows = [i for i, c in enumerate(val.composed) if c[3] == target]
            if not rows:
                continue
            sel = torch.tensor(rows, device=dev)
            targets = [set(val.composed[i][2]) for i in rows]
            row[metric] = round(mean_r10_r50(top_k(fused[sel], gal, 50, refs[sel]), targets), 2)
            if baseline:
                row[baseline] = round(mean_r10_r50(top_k(summed[sel], gal, 50, refs[sel]), targets), 2)
        out["fashion-fusion"] = row
    out["_gallery"] = {"split": "validation", "products": int(len(images)), "augmented_views": int(n_views),
                       "text_queries": len(val.text_queries),
                       "composed_queries": len(val.composed), "realshot_photos": int(len(val.photos))}
    return out


# ---------------------------------------------------------------- main
def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def run(cfg: Config, out_dir: str, run_eval: bool = False, checkpoint: Optional[str] = None,
        build_lexicon: bool = False) -> dict:
    """Train every model on the train split, validate on the validation split, export to out_dir;
    then, when asked, build the query lexicon from the train split (`npm run lexicon`) and run the
    TypeScript evaluation."""
    from . import lexicon
    from .data import load_train_data

    torch.set_num_threads(2)
    dev = device()
    rng = seed_everything(cfg.seed)
    log(f"profile {cfg.profile}, device {dev}, output {out_dir}")
    if dev.type == "cpu":
        check_blas()
    data = load_train_data(cfg, log)
    log(f"{len(data.product_ids)} train products, {len(data.style_products)} styles, {len(data.queries)} text queries, "
        f"{len(data.clicks)} click sessions, {len(data.composed)} composed triplets; validation on "
        f"{len(data.validation.product_ids)} validation products")
    train_styles = np.arange(len(data.style_products))

    log("training the WordPiece tokenizer")
    sample = data.corpus
    if cfg.tokenizer_samples and len(sample) > cfg.tokenizer_samples:
        sample = [sample[i] for i in np.random.default_rng(cfg.seed).permutation(len(sample))[: cfg.tokenizer_samples]]
    tok = train_wordpiece(sample, vocab_size=cfg.vocab_size, max_length=cfg.max_length)
    log(f"vocabulary {len(tok)} tokens; tokenising the corpus")
    global BATCHER
    BATCHER = Batcher(tok, dev)
    BATCHER.prefill(data.corpus + data.texts, workers_count())
    log(f"{len(BATCHER.cache)} texts tokenised")
    plan_stages(cfg, T0)

    images = torch.from_numpy(data.images).to(dev)
    text_model = TextTransformer(len(tok), d=cfg.d_model, layers=cfg.layers, heads=cfg.heads, ff=cfg.ff,
                                 max_len=cfg.max_length, dropout=cfg.dropout).to(dev)
    image_model = ImageCNN(size=cfg.size, width=cfg.image_width).to(dev).to(memory_format=torch.channels_last)
    losses = {}
    log("stage b: masked-language-model pre-training")
    losses["mlm"] = train_mlm(text_model, tok, data.corpus, cfg, dev, rng)
    log("stage c: contrastive alignment of text and image towers")
    losses["clip"] = train_clip(text_model, image_model, data, tok, cfg, dev, rng, images, train_styles)
    image_model.eval()
    gallery = embed_images(image_model, images)
    pretriplet = copy.deepcopy(text_model).eval()
    log("stage d: triplet fine-tuning of the query side against the frozen gallery")
    losses["triplet"] = train_triplet(text_model, data, tok, cfg, dev, rng, gallery, train_styles,
                                      cfg.triplet_epochs, cfg.triplet_lr, "triplet")
    text_model.eval()
    log("GRU baseline: alignment with the frozen gallery, then triplet fine-tuning")
    gru = TextGRU(len(tok), d=cfg.d_model, hidden=cfg.gru_hidden).to(dev)
    losses["gru_align"] = train_gru_alignment(gru, data, tok, cfg, dev, rng, gallery, train_styles)
    losses["gru_triplet"] = train_triplet(gru, data, tok, cfg, dev, rng, gallery, train_styles,
                                          cfg.gru_triplet_epochs, cfg.triplet_lr * 3, "gru-triplet")
    gru.eval()
    log("fusion network on composed triplets (towers frozen)")
    fusion = FusionCombiner().to(dev)
    losses["fusion"] = train_fusion(fusion, text_model, data, tok, cfg, dev, rng, gallery, train_styles)
    fusion.eval()

    image_model.to(memory_format=torch.contiguous_format)  # plain layout for the checkpoint and ONNX
    text_models = {"fashion-text": text_model, "fashion-text-pretriplet": pretriplet, "fashion-text-gru": gru}
    log(f"validation on the validation split ({len(data.validation.product_ids)} products)")
    val = validate(data.validation, BATCHER, dev, image_model, text_models, fusion)
    print_table(val)

    picks = [0, len(data.product_ids) // 2, len(data.product_ids) - 1]
    samples = {"ids": [data.product_ids[i] for i in picks], "images": data.images[picks],
               "texts": [data.texts[0], data.texts[-1]]}
    ckpt = checkpoint or os.path.join(ROOT, "data", "training-cache", f"checkpoint-{cfg.profile}")
    if cfg.profile != "smoke" or checkpoint:
        save_checkpoint(ckpt, cfg, tok, data.data_hash, data.validation.data_hash, image_model, text_models, fusion,
                        losses, val, samples)
        log(f"checkpoint written to {ckpt}.npz/.json")
    log(f"exporting to {out_dir}")
    write_models(out_dir, cfg, data.data_hash, tok, image_model, text_models, fusion, losses, val, samples,
                 validation_hash=data.validation.data_hash)
    if build_lexicon:
        lexicon.build_lexicon(out_dir, cfg.profile, data.products, data.data_hash, log)
    if run_eval:
        run_ts_eval(out_dir)
    log("done")
    return {"losses": losses, "validation": val}


def print_table(val: Dict[str, dict]) -> None:
    print("\n| model | metric | value |\n| --- | --- | --- |")
    for name, metrics in val.items():
        for k, v in metrics.items():
            print(f"| {name} | {k} | {v} |")
    print(flush=True)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save_checkpoint(path: str, cfg: Config, tok: WordPieceTokenizer, data_hash: str, validation_hash: str,
                    image_model, text_models, fusion, losses, val, samples) -> None:
    """Weights as plain numpy arrays (portable between PyTorch versions) plus a JSON header."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    nets = {"fashion-image": image_model, **text_models, "fashion-fusion": fusion}
    arrays = {f"{n}::{k}": v.detach().cpu().numpy() for n, m in nets.items() for k, v in m.state_dict().items()}
    arrays["samples::images"] = samples["images"]
    np.savez(path + ".npz", **arrays)
    meta = {"config": cfg.to_dict(), "vocab": tok.vocab, "max_length": tok.max_length, "data_hash": data_hash,
            "validation_data_hash": validation_hash, "models": {n: m.config for n, m in nets.items()},
            "losses": losses, "validation": val, "samples": {"ids": samples["ids"], "texts": samples["texts"]}}
    with open(path + ".json", "w") as f:
        json.dump(meta, f)


def load_checkpoint(path: str):
    from .models import build

    with open(path + ".json") as f:
        meta = json.load(f)
    arrays = np.load(path + ".npz")
    tok = WordPieceTokenizer(meta["vocab"], max_length=meta["max_length"])
    nets = {}
    for name, mc in meta["models"].items():
        m = build(mc)
        prefix = f"{name}::"
        m.load_state_dict({k[len(prefix):]: torch.from_numpy(arrays[k]) for k in arrays.files if k.startswith(prefix)})
        nets[name] = m.eval()
    samples = {**meta["samples"], "images": arrays["samples::images"]}
    return meta, tok, nets, samples


def checkpoint_config(meta: dict) -> Config:
    """The Config a checkpoint was trained with; fields this version no longer has (a checkpoint
    from before the validation split, with `val_fraction`) are left out."""
    return Config(**{k: v for k, v in meta["config"].items() if k in Config.__dataclass_fields__})


def export_checkpoint(path: str, out_dir: str, build_lexicon: bool = False) -> None:
    """Re-export ONNX files, manifest and golden fixtures from a saved checkpoint; with
    build_lexicon, rebuild the query lexicon from the checkpoint's train split too (the catalogue
    is rebuilt, and must still have the train-split hash the checkpoint was trained on)."""
    from . import lexicon
    from .data import build_training_catalogue, keep_styles, split_hash, split_products

    meta, tok, nets, samples = load_checkpoint(path)
    cfg = checkpoint_config(meta)
    text_models = {k: nets[k] for k in ("fashion-text", "fashion-text-pretriplet", "fashion-text-gru")}
    write_models(out_dir, cfg, meta["data_hash"], tok, nets["fashion-image"], text_models, nets["fashion-fusion"],
                 meta["losses"], meta["validation"], samples, validation_hash=meta.get("validation_data_hash"))
    if build_lexicon:
        products = split_products(build_training_catalogue(cfg.profile, log), "train")
        if split_hash(products) != meta["data_hash"]:
            raise RuntimeError(f"the '{cfg.profile}' catalogue's train split ({split_hash(products)}) is not the one "
                               f"checkpoint {path} was trained on ({meta['data_hash']}): retrain, or re-export "
                               "without --lexicon")
        lexicon.build_lexicon(out_dir, cfg.profile, keep_styles(products, cfg.max_styles), meta["data_hash"], log)


def write_models(out_dir: str, cfg: Config, data_hash: str, tok, image_model, text_models, fusion, losses, val,
                 samples, validation_hash: Optional[str] = None) -> dict:
    """ONNX files, tokenizer, manifest and golden fixtures. `data_hash` is the train split's (the
    manifest's trainingData.hash); `validation_hash`, the validation split's that `val` was
    measured on, goes into each entry's `training` block."""
    os.makedirs(out_dir, exist_ok=True)
    h = data_hash
    tok_dir = os.path.join(out_dir, "fashion-text")
    tok.save(tok_dir)
    with open(os.path.join(tok_dir, "tokenizer-cases.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "ids": tok.encode(t, truncate=False)} for t in tokenizer_cases()], f,
                  ensure_ascii=False, indent=0)
    hyper = cfg.to_dict()
    common = {k: hyper[k] for k in ("seed", "size", "max_length", "vocab_size")}
    tm = text_models["fashion-text"].config
    entries = [
        export.image_entry("fashion-image", "1.0.0", h, cfg.size,
                           "Six-convolution CNN (32-32-64-64-128-128) at 32 px, trained with the text tower "
                           "(symmetric InfoNCE, learned temperature), an instance loss between a photo-style view "
                           "and its clean render, and attribute classifiers (category, colour, pattern, material) "
                           "whose prototypes the text tower shares.",
                           {**common, **image_model.config, "epochs": cfg.clip_epochs, "batch": cfg.clip_batch,
                            "lr": cfg.clip_lr, "instanceWeight": cfg.instance_weight,
                            "attributeWeight": cfg.attribute_weight, "textAttributeWeight": cfg.text_attribute_weight}),
        export.text_entry("fashion-text", "1.0.0", h, cfg.max_length, False,
                          "RoBERTa-style transformer (learned positions, masked mean pooling): MLM pre-training, "
                          "contrastive alignment with the image tower, then triplet fine-tuning against the frozen "
                          "gallery (click-log, same-colour other-category and in-batch hard negatives).",
                          {**common, **tm, "mlmEpochs": cfg.mlm_epochs, "clipEpochs": cfg.clip_epochs,
                           "tripletEpochs": cfg.triplet_epochs, "tripletMargin": cfg.triplet_margin,
                           "tripletLr": cfg.triplet_lr, "tripletNegatives": cfg.triplet_negatives,
                           "tripletHardNegatives": cfg.triplet_hard_negatives}),
        export.text_entry("fashion-text-pretriplet", "1.0.0", h, cfg.max_length, True,
                          "The same transformer before triplet fine-tuning (after MLM and contrastive alignment).",
                          {**common, **tm, "mlmEpochs": cfg.mlm_epochs, "clipEpochs": cfg.clip_epochs}),
        export.text_entry("fashion-text-gru", "1.0.0", h, cfg.max_length, True,
                          "GRU baseline: two-layer GRU, aligned with the frozen gallery (InfoNCE), then the same "
                          "triplet fine-tuning.",
                          {**common, **text_models["fashion-text-gru"].config, "alignEpochs": cfg.gru_epochs,
                           "tripletEpochs": cfg.gru_triplet_epochs}),
        export.fusion_entry("fashion-fusion", "1.0.0", h,
                            "Gated residual combiner (CLIP4Cir style) of the reference image embedding and the "
                            "modifier text embedding, trained on train-split composed triplets with the towers frozen.",
                            {**common, **fusion.config, "epochs": cfg.fusion_epochs, "batch": cfg.fusion_batch,
                             "lr": cfg.fusion_lr}),
    ]
    for e in entries:
        e["training"] = {"finalLoss": {k: (round(float(v), 5) if np.isfinite(v) else None) for k, v in losses.items()},
                         "validation": {k: v for k, v in val.items() if k == e["name"]}}
        if validation_hash:
            e["training"]["validationDataHash"] = validation_hash
    export.export_image(copy.deepcopy(image_model), os.path.join(out_dir, "fashion-image/model.onnx"), cfg.size)
    for name, m in text_models.items():
        export.export_text(copy.deepcopy(m), os.path.join(out_dir, f"{name}/model.onnx"), cfg.max_length)
    export.export_fusion(copy.deepcopy(fusion), os.path.join(out_dir, "fashion-fusion/model.onnx"))
    man = export.manifest(cfg.profile, h, entries)
    export.validate_manifest(man, out_dir)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    # golden fixtures, computed on CPU copies
    cpu = {k: copy.deepcopy(m).cpu().eval() for k, m in text_models.items()}
    img_cpu = copy.deepcopy(image_model).cpu().eval()
    fus_cpu = copy.deepcopy(fusion).cpu().eval()
    texts = ["red dress", "navy blue t-shirt for men", "black leather ankle boots", "striped cotton shirt",
             "beige wool coat", "blak sneekers", "Café crème blouse!", *samples["texts"]]
    gimgs = {pid: img for pid, img in zip(samples["ids"], samples["images"])}
    with torch.no_grad():
        ie = img_cpu(augment.preprocess(torch.from_numpy(np.stack(list(gimgs.values())))))
        te = cpu["fashion-text"](*Batcher(tok, torch.device("cpu"))(["in red", "with stripes", "make it darker"]))
    pairs = [(ie[i].tolist(), te[i].tolist()) for i in range(3)]
    export.golden(out_dir, tok, cpu, {"fashion-image": img_cpu}, {"fashion-fusion": fus_cpu}, texts, gimgs, pairs)
    return man


def run_ts_eval(out_dir: str) -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile(os.path.join(root, "src", "cli", "eval.ts")):
        log("src/cli/eval.ts not found: skipping the TypeScript evaluation")
        return
    log("running the TypeScript evaluation: npm run eval -- --set all --write-models-readme")
    subprocess.run(["npm", "run", "eval", "--", "--set", "all", "--write-models-readme"], cwd=root, check=True)


def wants_lexicon(flag: Optional[bool], profile: str, from_checkpoint: bool) -> bool:
    """Whether a run builds the query lexicon: --lexicon / --no-lexicon when given; otherwise a
    training run of the full profile does, a smoke run or a re-export does not."""
    if flag is not None:
        return flag
    return profile == "full" and not from_checkpoint


def main(argv: Optional[List[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if any(a == "--events" or a.startswith("--events=") for a in argv):
        # learning from recorded traffic: query-side fine-tuning of the current models
        from .traffic import finetune

        finetune.main(argv)
        return
    if any(a == "--catalog" or a.startswith("--catalog=") for a in argv):
        # training on a shop's own catalogue (products.jsonl + images), without the seed generator
        from . import catalog

        catalog.main(argv)
        return
    ap = argparse.ArgumentParser(description="Train and export the fashion models (with --events: fine-tune the "
                                             "query tower on recorded traffic, see training/traffic/finetune.py).")
    ap.add_argument("--profile", default="full", choices=["full", "smoke"])
    ap.add_argument("--out", default=None, help="output directory (default: models/ for full, a temporary one for smoke)")
    ap.add_argument("--eval", action="store_true", help="run `npm run eval` afterwards (writes the README table)")
    ap.add_argument("--max-styles", type=int, default=None, help="use at most this many train styles")
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="multiply every stage's epochs")
    ap.add_argument("--checkpoint", default=None,
                    help="where to save the weights (PATH.npz + PATH.json; default data/training-cache/checkpoint-PROFILE)")
    ap.add_argument("--from-checkpoint", default=None, help="skip training: export the checkpoint at PATH")
    ap.add_argument("--time-budget", type=float, default=0.0,
                    help="seconds for the whole run; stages share it and stop early at their deadlines")
    ap.add_argument("--lexicon", action=argparse.BooleanOptionalAction, default=None,
                    help="after export, build OUT/fashion-lexicon/lexicon.json from the train split with `npm run "
                         "lexicon` (default: on for the full profile, off for smoke and for --from-checkpoint); "
                         "the run fails if npm does")
    args = ap.parse_args(argv)
    cfg = for_profile(args.profile)
    if args.max_styles is not None:
        cfg.max_styles = args.max_styles
    if args.epochs_scale != 1.0:
        for k in ("mlm_epochs", "clip_epochs", "triplet_epochs", "gru_epochs", "gru_triplet_epochs", "fusion_epochs"):
            setattr(cfg, k, max(1, int(round(getattr(cfg, k) * args.epochs_scale))))
    cfg.time_budget = args.time_budget
    build_lexicon = wants_lexicon(args.lexicon, cfg.profile, bool(args.from_checkpoint))
    if build_lexicon and cfg.time_budget:
        from . import lexicon

        cfg.time_reserve += lexicon.EXPECTED_SECONDS
    out = args.out
    tmp = None
    if out is None:
        if cfg.profile == "smoke":
            import tempfile

            tmp = out = tempfile.mkdtemp(prefix="fashion-models-smoke-")
        else:
            out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
    if args.from_checkpoint:
        export_checkpoint(args.from_checkpoint, out, build_lexicon=build_lexicon)
        if args.eval:
            run_ts_eval(out)
        return
    try:
        run(cfg, out, run_eval=args.eval, checkpoint=args.checkpoint, build_lexicon=build_lexicon)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

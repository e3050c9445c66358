"""Training data from the seed catalogue: train-split products rendered at 32 px straight from
the Fashion-MNIST IDX files, the corpus for the tokenizer and MLM, text queries with their
grade-2 products, click sessions and composed triplets."""
from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from seed.generator import text as seed_text
from seed.generator.catalog import build_catalog
from seed.generator.fashion_mnist import load_split
from seed.generator.render import render
from seed.generator.vocab import CATEGORIES, COLOR_FAMILY, COLORS, MATERIALS, PATTERNS

from .config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VISUAL = ("color", "pattern", "material")
# Attributes the image tower learns to predict from its embedding (auxiliary loss, stage c).
LABELLED = {"category": CATEGORIES, "color": COLORS, "pattern": PATTERNS, "material": MATERIALS}
# Attributes checked to decide whether a text describes a product (see train.described).
DESCRIBED = (*LABELLED, "colorFamily")


def label_index(name: str) -> Dict[str, int]:
    """Value -> class index of one of the DESCRIBED attributes."""
    return {v: i for i, v in enumerate(LABELLED[name] if name in LABELLED else sorted(set(COLOR_FAMILY.values())))}


def product_text(p: dict) -> str:
    """The text the store embeds for a product."""
    return f"{p['title']}. {p['description']}"


def split_hash(products: List[dict]) -> str:
    """sha256 over a split's products.jsonl lines (the seed manifest's dataHash)."""
    h = hashlib.sha256()
    for p in products:
        h.update((json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    return "sha256:" + h.hexdigest()


def modifier_text(change: dict, rng) -> str:
    """Phrase a one-attribute change {attribute, from, to} as a composed-query modifier."""
    a, x, y = change["attribute"], change["from"], change["to"]
    kind = a
    if a == "color" and COLOR_FAMILY[x] == COLOR_FAMILY[y]:
        kind = "shade"
    r = random.Random(int(rng.integers(1 << 62)))
    return seed_text.modifier_text(r, kind, x, y)


def _render_chunk(args) -> np.ndarray:
    split, specs, size = args
    images, _ = load_split(split)
    out = np.empty((len(specs), size, size, 3), dtype=np.uint8)
    for i, spec in enumerate(specs):
        out[i] = render(images[spec["index"]], spec, size)
    return out


def render_all(products: List[dict], size: int, workers: int, log: Callable[[str], None]) -> np.ndarray:
    specs = [p["render"] for p in products]
    split = specs[0]["source"] if specs else "train"
    step = 2000
    jobs = [(split, specs[s: s + step], size) for s in range(0, len(specs), step)]
    if workers <= 1 or len(jobs) == 1:
        parts = []
        for k, j in enumerate(jobs):
            parts.append(_render_chunk(j))
            if (k + 1) % 20 == 0:
                log(f"rendered {(k + 1) * step}/{len(specs)}")
        return np.concatenate(parts) if parts else np.zeros((0, size, size, 3), np.uint8)
    with get_context("fork").Pool(workers) as pool:
        parts = pool.map(_render_chunk, jobs, chunksize=1)
    return np.concatenate(parts)


@dataclass
class TrainData:
    product_ids: List[str]
    products: List[dict]
    texts: List[str]
    attrs: List[dict]
    style: np.ndarray                 # style number per product
    style_products: List[np.ndarray]  # product numbers per style, by variant
    images: np.ndarray                # uint8 [N,size,size,3]
    queries: List[Tuple[str, List[int], Dict[str, str]]]  # (text, grade-2 products, stated)
    clicks: List[Tuple[str, List[int], List[int], Dict[str, str]]]  # (query, clicked, shown but not clicked, stated)
    composed: List[Tuple[int, str, int]]                 # (reference, modifier, target)
    corpus: List[str]
    data_hash: str
    _change_cache: Dict[Tuple[int, int], Optional[dict]] = field(default_factory=dict)

    def labels(self, name: str) -> np.ndarray:
        """Class index per product of one of the LABELLED attributes or colorFamily."""
        index = label_index(name)
        return np.array([index[a[name][0]] for a in self.attrs], dtype=np.int64)

    def label_tensors(self, dev) -> Dict[str, "torch.Tensor"]:
        """labels() of every DESCRIBED attribute, as tensors on a device."""
        import torch

        return {k: torch.from_numpy(self.labels(k)).to(dev) for k in DESCRIBED}

    def change_between(self, a: int, b: int) -> Optional[dict]:
        """The single visual attribute change from product a to product b, or None."""
        key = (a, b)
        if key not in self._change_cache:
            diff = [k for k in VISUAL if self.attrs[a][k][0] != self.attrs[b][k][0]]
            self._change_cache[key] = ({"attribute": diff[0], "from": self.attrs[a][diff[0]][0],
                                        "to": self.attrs[b][diff[0]][0]} if len(diff) == 1 else None)
        return self._change_cache[key]

    def training_text(self, i: int, rng) -> str:
        """A text for product i: the store text, the title, or a generated search phrase."""
        return self.training_text_stating(i, rng)[0]

    def training_text_stating(self, i: int, rng) -> Tuple[str, Tuple[str, ...]]:
        """training_text() and the LABELLED attributes (and colorFamily) the text names: the store
        text names all of them, a title its category and colour, a search phrase what it was
        generated from."""
        r = rng.random()
        p = self.products[i]
        if r < 0.35:
            return self.texts[i], tuple(LABELLED)
        if r < 0.5:
            return p["title"], ("category", "color")
        a = self.attrs[i]
        stated = {"category": a["category"][0]}
        s = random.Random(int(rng.integers(1 << 62)))
        if s.random() < 0.85:
            stated["color"] = a["color"][0]
        elif s.random() < 0.5:
            stated["colorFamily"] = a["colorFamily"][0]
        for k in ("pattern", "material"):
            if s.random() < 0.3:
                stated[k] = a[k][0]
        for k in ("gender", "fit", "brand", "occasion", "season"):
            if s.random() < 0.1:
                stated[k] = s.choice(a[k])
        return seed_text.query_text(s, stated), tuple(k for k in DESCRIBED if k in stated)


def load_train_data(cfg: Config, log: Callable[[str], None]) -> TrainData:
    log(f"building the '{cfg.profile}' catalogue (seed.generator.catalog.build_catalog)")
    cat = build_catalog(cfg.profile)
    products = cat.products_of("train")
    data_hash = split_hash(products)
    if cfg.max_styles:
        keep = sorted({p["styleId"] for p in products})[: cfg.max_styles]
        keep_set = set(keep)
        products = [p for p in products if p["styleId"] in keep_set]
    pos = {p["id"]: i for i, p in enumerate(products)}
    style_ids: Dict[str, int] = {}
    style = np.array([style_ids.setdefault(p["styleId"], len(style_ids)) for p in products], dtype=np.int64)
    style_products: List[List[int]] = [[] for _ in style_ids]
    for i, p in enumerate(sorted(range(len(products)), key=lambda i: (style[i], products[i]["variant"]))):
        style_products[style[p]].append(p)
    texts = [product_text(p) for p in products]

    qrels: Dict[str, List[int]] = {}
    for qid, pid, grade in cat.text_qrels.get("train", []):
        if grade == 2 and pid in pos:
            qrels.setdefault(qid, []).append(pos[pid])
    train_queries = cat.text_queries.get("train", [])
    stated = {q["id"]: {k: v for k, v in q.get("stated", {}).items() if k in DESCRIBED} for q in train_queries}
    queries = [(q["text"], qrels[q["id"]], stated[q["id"]]) for q in train_queries if q["id"] in qrels]
    clicks = []
    for s in cat.clicks.get("train", []):
        clicked = [c["productId"] for c in s["clicks"]]
        cl = [pos[c] for c in clicked if c in pos]
        skipped = [pos[x] for x in s["shown"] if x in pos and x not in clicked]
        if cl:
            clicks.append((s["query"], cl, skipped, stated.get(s.get("queryId"), {})))
    composed = [(pos[c["referenceId"]], c["modifier"], pos[c["targetId"]]) for c in cat.composed.get("train", [])
                if c["referenceId"] in pos and c["targetId"] in pos]
    corpus = []
    for p in products:
        corpus.append(p["title"])
        corpus.append(p["description"])
    corpus.extend(q["text"] for q in cat.text_queries.get("train", []))
    corpus.extend(c["modifier"] for c in cat.composed.get("train", []))

    cache_dir = os.path.join(ROOT, "data", "training-cache")
    key = hashlib.sha256((data_hash + f"|{cfg.size}|{len(products)}|" + (products[0]["id"] if products else "")
                          + (products[-1]["id"] if products else "")).encode()).hexdigest()[:16]
    cache = os.path.join(cache_dir, f"renders-{cfg.profile}-{key}.npy")
    if os.path.isfile(cache):
        images = np.load(cache)
        log(f"loaded {len(images)} renders from {os.path.relpath(cache, ROOT)}")
    else:
        workers = cfg.workers or max(1, min(16, os.cpu_count() or 1))
        log(f"rendering {len(products)} products at {cfg.size} px with {workers} processes")
        images = render_all(products, cfg.size, workers, log)
        if cfg.profile != "smoke":
            os.makedirs(cache_dir, exist_ok=True)
            np.save(cache, images)
    return TrainData(product_ids=[p["id"] for p in products], products=products, texts=texts,
                     attrs=[p["attributes"] for p in products], style=style,
                     style_products=[np.array(v, dtype=np.int64) for v in style_products], images=images,
                     queries=queries, clicks=clicks, composed=composed, corpus=corpus, data_hash=data_hash)

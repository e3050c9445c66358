"""Training data from the seed catalogue, built with the train and validation splits only.

The train split feeds every gradient: its products rendered at 32 px straight from the
Fashion-MNIST IDX files, the corpus for the tokenizer and MLM, text queries with their grade-2
products, click sessions and composed triplets. The validation split (ValidationData) is for
choices and reported validation numbers only: its products rendered the same way, its text and
composed queries, and its held-out-family real-shot photos resized as the server resizes them.
The test split is never built here (`build_training_catalogue`), and a loaded catalogue holding
any test-split row is refused (`refuse_test_split`): the test split is for the release
evaluation alone.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from seed.generator import catalog as seed_catalog
from seed.generator import fashion_mnist
from seed.generator import text as seed_text
from seed.generator.realshot import jpeg_bytes, photograph
from seed.generator.render import render
from seed.generator.vocab import CATEGORIES, COLOR_FAMILY, COLORS, MATERIALS, PATTERNS
from seed.generator.writer import REALSHOT_SIZE

from .config import Config
from .imaging import letterbox  # noqa: F401  (re-exported: data.letterbox)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_DIR = os.path.join(ROOT, "data", "training-cache")
# The only splits training and tuning ever build: the test split is for the release evaluation.
TRAINING_SPLITS = ("train", "validation")
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
    source, specs, size = args
    images, _ = fashion_mnist.load_split(source)
    out = np.empty((len(specs), size, size, 3), dtype=np.uint8)
    for i, spec in enumerate(specs):
        out[i] = render(images[spec["index"]], spec, size)
    return out


def render_all(products: List[dict], size: int, workers: int, log: Callable[[str], None]) -> np.ndarray:
    """uint8 [N,size,size,3] renders of products whose images all come from one Fashion-MNIST file
    (train and validation products both come from the train file)."""
    specs = [p["render"] for p in products]
    sources = {s["source"] for s in specs}
    if len(sources) > 1:
        raise ValueError(f"render_all renders products of one Fashion-MNIST file at a time, got {sorted(sources)}")
    source = sources.pop() if sources else "train"
    step = 2000
    jobs = [(source, specs[s: s + step], size) for s in range(0, len(specs), step)]
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


def cached_renders(products: List[dict], split: str, data_hash: str, cfg: Config,
                   log: Callable[[str], None]) -> np.ndarray:
    """render_all() of a split's products, kept in data/training-cache (except for the smoke
    profile) under a key of the split's hash, the size and the products rendered, so a rerun
    on the same catalogue skips rendering."""
    key = hashlib.sha256((data_hash + f"|{cfg.size}|{len(products)}|" + (products[0]["id"] if products else "")
                          + (products[-1]["id"] if products else "")).encode()).hexdigest()[:16]
    cache = os.path.join(CACHE_DIR, f"renders-{cfg.profile}-{split}-{key}.npy")
    if os.path.isfile(cache):
        images = np.load(cache)
        log(f"loaded {len(images)} {split} renders from {os.path.relpath(cache, ROOT)}")
        return images
    workers = cfg.workers or max(1, min(16, os.cpu_count() or 1))
    log(f"rendering {len(products)} {split} products at {cfg.size} px with {workers} processes")
    images = render_all(products, cfg.size, workers, log)
    if cfg.profile != "smoke":
        os.makedirs(CACHE_DIR, exist_ok=True)
        np.save(cache, images)
    return images


def realshot_inputs(rows: List[dict], size: int, photo_size: int = REALSHOT_SIZE) -> np.ndarray:
    """uint8 [M,size,size,3]: each real-shot row photographed as the catalogue writes it
    (seed.generator.realshot.photograph at the catalogue's photo size, then its JPEG step), decoded
    and letterboxed to the model size as the server would."""
    out = np.empty((len(rows), size, size, 3), dtype=np.uint8)
    for i, r in enumerate(rows):
        spec = r["render"]
        base = fashion_mnist.load_split(spec["source"])[0][spec["index"]]
        photo = photograph(base, spec, r["degradations"], photo_size)
        out[i] = letterbox(Image.open(io.BytesIO(jpeg_bytes(photo, r["degradations"]))), size)
    return out


@dataclass
class ValidationData:
    """The validation split: products, queries and photos for choices and validation numbers
    only; no gradient is ever computed from them."""
    product_ids: List[str]
    products: List[dict]
    images: np.ndarray                                   # uint8 [N,size,size,3], rendered as train products are
    text_queries: List[Tuple[str, str, str, List[int]]]  # (text, kind, distribution, grade-2 products)
    composed: List[Tuple[int, str, List[int], str]]      # (reference, modifier, exact targets, "sibling"|"cross-style")
    photos: np.ndarray                                   # uint8 [M,size,size,3] held-out-family real-shot photos
    photo_products: np.ndarray                           # the product photographed, per photo
    data_hash: str


@dataclass
class TrainData:
    """The train split, what every gradient is computed from, and the validation split beside it."""
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
    validation: ValidationData
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


class ForbiddenSplitError(RuntimeError):
    """Data of the test split reached training or tuning."""


def refuse_test_split(cat) -> None:
    """Raises ForbiddenSplitError when a catalogue built for training holds anything of the test
    split: the split itself, a product, or a query, judgement, session, photo or outfit row."""
    found = []
    if "test" in cat.splits:
        found.append("the catalogue's splits")
    n = sum(1 for p in cat.products if p.get("split") == "test" or str(p.get("id", "")).startswith("p-test-"))
    if n:
        found.append(f"{n} products")
    for name in ("text_queries", "text_qrels", "composed", "composed_meaning", "realshot", "realshot_indist",
                 "clicks"):
        sets = getattr(cat, name)
        if "test" in sets:
            found.append(f"{name}['test']")
        rows = sum(1 for v in sets.values() for r in v
                   if (isinstance(r, dict) and r.get("split") == "test")
                   or (isinstance(r, tuple) and any(str(x).startswith("p-test-") for x in r)))
        if rows:
            found.append(f"{rows} rows of {name}")
    rows = sum(1 for v in cat.outfits.values() for r in v if r.get("split") == "test")
    if rows:
        found.append(f"{rows} outfit rows")
    if found:
        raise ForbiddenSplitError("the training catalogue holds test-split data (" + ", ".join(found)
                                  + "): training and tuning read the train and validation splits only")


def build_training_catalogue(profile: str, log: Callable[[str], None]):
    """The seed catalogue of a profile with the train and validation splits only (the test split's
    Fashion-MNIST file is never opened), checked by refuse_test_split."""
    log(f"building the '{profile}' catalogue, splits {', '.join(TRAINING_SPLITS)} "
        "(seed.generator.catalog.build_catalog)")
    cat = seed_catalog.build_catalog(profile, splits=TRAINING_SPLITS)
    refuse_test_split(cat)
    return cat


def split_products(cat, split: str) -> List[dict]:
    """The products of one split of a training catalogue; refuses test-split products."""
    products = cat.products_of(split)
    if split not in TRAINING_SPLITS or any(p["split"] == "test" or p["id"].startswith("p-test-") for p in products):
        raise ForbiddenSplitError(f"training reads the {' and '.join(TRAINING_SPLITS)} splits only, not {split!r}")
    return products


def keep_styles(products: List[dict], max_styles: int) -> List[dict]:
    """The products of the first `max_styles` styles (by style id; 0: every style)."""
    if not max_styles:
        return products
    keep = set(sorted({p["styleId"] for p in products})[:max_styles])
    return [p for p in products if p["styleId"] in keep]


def load_validation(cat, cfg: Config, log: Callable[[str], None]) -> ValidationData:
    """The validation split of a training catalogue: every product rendered at cfg.size, its text
    queries with their grade-2 products, its composed queries with their exact targets and its
    held-out-family real-shot photos, resized to cfg.size as the server resizes them."""
    products = split_products(cat, "validation")
    data_hash = split_hash(products)
    pos = {p["id"]: i for i, p in enumerate(products)}
    relevant: Dict[str, List[int]] = {}
    for qid, pid, grade in cat.text_qrels.get("validation", []):
        if grade == 2 and pid in pos:
            relevant.setdefault(qid, []).append(pos[pid])
    text_queries = [(q["text"], q["kind"], q["distribution"], relevant[q["id"]])
                    for q in cat.text_queries.get("validation", []) if q["id"] in relevant]
    composed = [(pos[c["referenceId"]], c["modifier"], [pos[t] for t in c["targetIds"]], c["target"])
                for c in cat.composed.get("validation", [])
                if c["referenceId"] in pos and all(t in pos for t in c["targetIds"])]
    rows = [r for r in cat.realshot.get("validation", []) if r["productId"] in pos]
    if any(r["family"] != "held-out" for r in rows):
        raise ValueError("catalogue.realshot holds the held-out family only")
    images = cached_renders(products, "validation", data_hash, cfg, log)
    log(f"photographing {len(rows)} held-out-family real-shot validation photos")
    photos = realshot_inputs(rows, cfg.size)
    log(f"validation split: {len(products)} products, {len(text_queries)} text queries, {len(composed)} composed "
        f"queries, {len(rows)} real-shot photos")
    return ValidationData(product_ids=[p["id"] for p in products], products=products, images=images,
                          text_queries=text_queries, composed=composed, photos=photos,
                          photo_products=np.array([pos[r["productId"]] for r in rows], dtype=np.int64),
                          data_hash=data_hash)


def load_train_data(cfg: Config, log: Callable[[str], None]) -> TrainData:
    """The train split (the first cfg.max_styles styles when set) and the whole validation split of
    the profile's catalogue, built without the test split. `data_hash` is the whole train split's."""
    cat = build_training_catalogue(cfg.profile, log)
    products = split_products(cat, "train")
    data_hash = split_hash(products)
    products = keep_styles(products, cfg.max_styles)
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

    images = cached_renders(products, "train", data_hash, cfg, log)
    validation = load_validation(cat, cfg, log)
    return TrainData(product_ids=[p["id"] for p in products], products=products, texts=texts,
                     attrs=[p["attributes"] for p in products], style=style,
                     style_products=[np.array(v, dtype=np.int64) for v in style_products], images=images,
                     queries=queries, clicks=clicks, composed=composed, corpus=corpus, data_hash=data_hash,
                     validation=validation)

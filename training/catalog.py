"""Training on a shop's own catalogue: the text and image towers learnt from the products of a
catalogue directory in the server's ingest format (products.jsonl + image files, see
src/ingestion/catalog-reader.ts), with nothing of the seed generator.

    /usr/bin/python3 -m training.train --catalog DIR --out OUT [--profile smoke|full] [--time-budget S]

What comes from the data:
- the split: products are put in train or validation by a hash of their id (VAL_FRACTION); a
  product marked `"split": "test"` is left out of both (kept for the shop's own evaluation);
- the vocabulary: a WordPiece tokenizer trained on the train products' titles, descriptions and
  attribute values;
- the attribute heads: one classifier per attribute name that enough train products have with one
  value (`choose_heads`), over its values seen on enough train products;
- the training pairs: a product's image and one of its texts: the text the server embeds for it
  (title. description), its title, or a phrase of its own attribute values in the order the shop's
  titles use them ("<value> <value>", `phrase_order`).

What is trained: MLM pre-training of the text tower on the train texts, then symmetric InfoNCE
between the product texts and two photo-style views of the product image, an instance loss between
the two views, and the attribute heads on the image embedding (and on the text embedding, for the
attributes its text names). Epochs stop early on the validation split's text-to-image precision;
the weights of the best validation epoch are exported.

What is not trained (there is no data for it in a catalogue): query-side triplet fine-tuning
(needs search sessions), the GRU baseline, the fusion network for composed queries (the server
composes by the mean of vectors with ALLOW_MEAN_FUSION=true), the query lexicon and the outfit
model. The manifest has no entries for them; training-report.json lists them.

The output is a models directory in the manifest contract (src/encoders/manifest.ts) with its own
index key: `catalog-space@<version>`, whose version names the exported weights, so a store built
with other models is never taken for compatible.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image

from . import augment, export
from . import train as pipeline
from .config import Config, for_profile
from .imaging import letterbox
from .losses import AttributeHeads, LogitScale, info_nce
from .metrics import precision_at, recall_at, top_k
from .models import DIM, ImageCNN, TextTransformer
from .tokenizer import WordPieceTokenizer, split_words, train_wordpiece
from .tokenizer_cases import cases as tokenizer_cases

log = pipeline.log

INDEX_NAME = "catalog-space"
IMAGE_MODEL = "catalog-image"
TEXT_MODEL = "catalog-text"
REPORT_FILE = "training-report.json"
# What a catalogue does not hold the data for; the report says so.
NOT_TRAINED = {
    "query-side triplet fine-tuning": "needs search sessions or judged queries; a catalogue has neither "
                                      "(npm run train:events fine-tunes on recorded traffic later)",
    "GRU baseline text tower": "a comparison model of the seed pipeline, not needed to serve",
    "fusion network (composed queries)": "needs (reference, modifier, target) triplets; the server composes "
                                         "image + text queries by the mean of vectors (ALLOW_MEAN_FUSION=true)",
    "query lexicon": "built from the seed's vocabulary by `npm run lexicon`; query understanding uses the "
                     "catalogue's own attribute values",
    "outfit compatibility model": "needs outfits (training/outfits, npm run train:outfits)",
}


@dataclass
class Settings:
    """Catalogue training choices beside the towers' Config (whose profile gives the tower sizes)."""
    val_fraction: float = 0.15
    # an attribute gets a head when at least this many (and this share of) train products have it
    min_attribute_products: int = 20
    min_attribute_share: float = 0.1
    # ... with exactly one value on at least this share of them (sizes, say, are many-valued)
    single_valued_share: float = 0.9
    # a value is a class when at least this many train products have it; a head needs two classes
    min_value_products: int = 5
    epochs: int = 60
    patience: int = 10          # epochs without a better validation score before stopping
    batch: int = 128
    mlm_epochs: int = 3
    store_text_share: float = 0.35   # training texts: the server's product text ...
    title_share: float = 0.15        # ... the title, else an attribute phrase
    other_value_probability: float = 0.15  # an attribute phrase names a value without a head this often
    choice_gallery: int = 5000   # validation products embedded for each epoch's choice (all for the report)

    def to_dict(self) -> dict:
        return asdict(self)


def settings_for(profile: str) -> Settings:
    if profile == "full":
        return Settings()
    if profile == "smoke":
        return Settings(epochs=24, patience=6, batch=64, mlm_epochs=2)
    raise ValueError(f"unknown training profile {profile!r}: use 'full' or 'smoke'")


# ---------------------------------------------------------------- reading the catalogue
class CatalogError(ValueError):
    """The catalogue directory does not hold a readable products.jsonl."""


@dataclass
class Product:
    id: str
    title: str
    description: str
    attributes: Dict[str, List[str]]
    image: str   # path relative to the catalogue directory
    line: str    # the products.jsonl line, for the data hash
    split: Optional[str] = None

    @property
    def text(self) -> str:
        """The text the server embeds for the product (src/ingestion/catalog-reader.ts productText)."""
        return f"{self.title}. {self.description}" if self.description else self.title


def read_products(directory: str) -> List[Product]:
    """The products of DIR/products.jsonl, checked as the server's catalogue reader checks them:
    a non-empty id and title, attributes an object of string arrays, `image` a path inside DIR;
    a duplicate id is refused."""
    path = os.path.join(directory, "products.jsonl")
    if not os.path.isfile(path):
        raise CatalogError(f"catalogue not found: {path} does not exist")
    root = os.path.realpath(directory)
    out: List[Product] = []
    seen = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise CatalogError(f"{where}: not valid JSON ({e})") from None
            if not isinstance(raw, dict):
                raise CatalogError(f"{where}: a product must be a JSON object")

            def text(key: str, optional: bool = False) -> str:
                v = raw.get(key)
                if v is None and optional:
                    return ""
                if not isinstance(v, str) or not v:
                    raise CatalogError(f'{where}: field "{key}" must be a non-empty string')
                return v

            pid, title, description, image = text("id"), text("title"), text("description", True), text("image")
            attrs = raw.get("attributes", {})
            if not isinstance(attrs, dict) or any(not isinstance(v, list) or any(not isinstance(x, str) for x in v)
                                                  for v in attrs.values()):
                raise CatalogError(f'{where}: field "attributes" must be an object of string arrays')
            full = os.path.realpath(os.path.join(root, image))
            if os.path.commonpath([root, full]) != root:
                raise CatalogError(f'{where}: field "image" must be a path inside the catalogue directory')
            if pid in seen:
                raise CatalogError(f'{where}: duplicate product id "{pid}"')
            seen.add(pid)
            out.append(Product(id=pid, title=title, description=description,
                               attributes={k: [x for x in v if x.strip()] for k, v in attrs.items()},
                               image=image, line=line, split=raw.get("split")))
    if not out:
        raise CatalogError(f"{path} holds no products")
    return out


def split_of(product_id: str, val_fraction: float) -> str:
    """'validation' or 'train', from a hash of the id alone: the same product always lands in the
    same split, whatever else the catalogue holds."""
    h = int(hashlib.sha256(f"catalog-split|{product_id}".encode("utf-8")).hexdigest()[:12], 16)
    return "validation" if h / float(1 << 48) < val_fraction else "train"


def lines_hash(products: Sequence[Product]) -> str:
    """sha256 over the products' products.jsonl lines, in file order."""
    h = hashlib.sha256()
    for p in products:
        h.update((p.line + "\n").encode("utf-8"))
    return "sha256:" + h.hexdigest()


def _load_image(args) -> Optional[np.ndarray]:
    path, size = args
    try:
        with Image.open(path) as img:
            return letterbox(img, size)
    except Exception:  # noqa: BLE001  (any file Pillow cannot decode is reported, not fatal)
        return None


def load_images(directory: str, products: Sequence[Product], size: int, workers: int) -> List[Optional[np.ndarray]]:
    """Each product's image decoded and letterboxed to size x size on white, as the server's
    `fit: contain` preprocessing does; None where the file is missing or not an image."""
    jobs = [(os.path.join(directory, p.image), size) for p in products]
    if workers > 1 and len(jobs) > 2000:
        from multiprocessing import get_context

        with get_context("fork").Pool(workers) as pool:
            return pool.map(_load_image, jobs, chunksize=256)
    return [_load_image(j) for j in jobs]


# ---------------------------------------------------------------- attributes
def choose_heads(products: Sequence[Product], s: Settings) -> Tuple[Dict[str, List[str]], Dict[str, str]]:
    """(heads, reasons): the attributes that get a classification head, with their values (most
    frequent first), from the train products alone; and why each other attribute has none."""
    n = len(products)
    need = max(s.min_attribute_products, int(math.ceil(s.min_attribute_share * n)))
    having: Dict[str, int] = {}
    single: Dict[str, int] = {}
    counts: Dict[str, Dict[str, int]] = {}
    for p in products:
        for k, vs in p.attributes.items():
            if not vs:
                continue
            having[k] = having.get(k, 0) + 1
            single[k] = single.get(k, 0) + (len(vs) == 1)
            c = counts.setdefault(k, {})
            c[vs[0]] = c.get(vs[0], 0) + 1
    heads: Dict[str, List[str]] = {}
    reasons: Dict[str, str] = {}
    for k in sorted(having):
        values = sorted((v for v, c in counts[k].items() if c >= s.min_value_products),
                        key=lambda v: (-counts[k][v], v))
        if having[k] < need:
            reasons[k] = f"on {having[k]} train products (a head needs {need})"
        elif single[k] < s.single_valued_share * having[k]:
            reasons[k] = f"many-valued: one value on {single[k]} of {having[k]} products"
        elif len(values) < 2:
            reasons[k] = f"fewer than two values on {s.min_value_products} or more train products"
        elif len(values) > 0.5 * having[k]:
            reasons[k] = "nearly one value per product"
        else:
            heads[k] = values
    return heads, reasons


def _words(text: str) -> Tuple[str, ...]:
    return tuple(split_words(text))


def _contains(words: Tuple[str, ...], phrase: Tuple[str, ...]) -> bool:
    m = len(phrase)
    return m > 0 and any(words[i: i + m] == phrase for i in range(len(words) - m + 1))


def phrase_order(products: Sequence[Product], heads: Dict[str, List[str]]) -> List[str]:
    """The head attributes in the order the titles name their values (mean relative position of
    the value in the titles that contain it); attributes the titles never name come first."""
    pos: Dict[str, List[float]] = {k: [] for k in heads}
    for p in products:
        words = _words(p.title)
        for k in heads:
            vs = p.attributes.get(k)
            if not vs:
                continue
            v = _words(vs[0])
            for i in range(len(words) - len(v) + 1):
                if v and words[i: i + len(v)] == v:
                    pos[k].append(i / max(1, len(words) - 1))
                    break
    return sorted(heads, key=lambda k: (float(np.mean(pos[k])) if pos[k] else -1.0, k))


# ---------------------------------------------------------------- the data
@dataclass
class CatalogData:
    directory: str
    products: List[Product]          # usable products (an image that decodes), train then validation
    images: np.ndarray               # uint8 [N,size,size,3]
    train: np.ndarray                # indices into products
    validation: np.ndarray
    heads: Dict[str, List[str]]
    no_head: Dict[str, str]
    order: List[str]                 # head attributes in phrase order
    labels: Dict[str, np.ndarray]    # per head: class index per product, -1 unknown
    stated: List[Tuple[Tuple[str, ...], Tuple[str, ...]]]  # per product: heads its title / store text names
    corpus: List[str]                # MLM texts: train titles, descriptions, attribute phrases
    values: List[str]                # the train products' attribute values, for the vocabulary too
    train_hash: str
    validation_hash: str
    summary: dict = field(default_factory=dict)

    def value(self, k: str, i: int) -> Optional[str]:
        c = int(self.labels[k][i])
        return self.heads[k][c] if c >= 0 else None

    def phrase(self, i: int, rng: np.random.Generator, s: Settings) -> Tuple[str, Tuple[str, ...]]:
        """A phrase of product i's own attribute values (a random non-empty subset of its head
        values, in phrase order, sometimes with a value of an attribute without a head) and the
        heads it names."""
        known = [k for k in self.order if self.labels[k][i] >= 0]
        chosen = [k for k in known if rng.random() < 0.6] or ([known[int(rng.integers(len(known)))]] if known else [])
        words = [self.value(k, i) for k in chosen]
        others = [vs[0] for k, vs in sorted(self.products[i].attributes.items()) if k not in self.heads and vs]
        if others and (rng.random() < s.other_value_probability or not words):
            words.insert(0, others[int(rng.integers(len(others)))])
        return " ".join(words), tuple(chosen)

    def training_text(self, i: int, rng: np.random.Generator, s: Settings) -> Tuple[str, Tuple[str, ...]]:
        """One text for product i and the heads it names (whose values are product i's)."""
        r = rng.random()
        p = self.products[i]
        if r < s.store_text_share:
            return p.text, self.stated[i][1]
        if r < s.store_text_share + s.title_share:
            return p.title, self.stated[i][0]
        return self.phrase(i, rng, s)


def load_catalog(directory: str, size: int, s: Settings, seed: int = 1234,
                 progress: Callable[[str], None] = log) -> CatalogData:
    products = read_products(directory)
    held = [p for p in products if p.split == "test"]
    products = [p for p in products if p.split != "test"]
    if held:
        progress(f"{len(held)} products marked split=test left out of training and validation")
    progress(f"decoding {len(products)} product images at {size} px")
    images = load_images(directory, products, size, pipeline.workers_count())
    broken = [p.id for p, im in zip(products, images) if im is None]
    if broken:
        progress(f"{len(broken)} products skipped: image missing or not decodable (first: {broken[:5]})")
    keep = [i for i, im in enumerate(images) if im is not None]
    products = [products[i] for i in keep]
    images = [images[i] for i in keep]
    is_val = np.array([split_of(p.id, s.val_fraction) == "validation" for p in products], dtype=bool)
    train_idx, val_idx = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    if len(train_idx) < 8 or len(val_idx) < 2:
        raise CatalogError(f"too few products to train and validate: {len(train_idx)} train, {len(val_idx)} "
                           "validation (the split puts about {:.0%} in validation)".format(s.val_fraction))
    train_products = [products[i] for i in train_idx]
    heads, no_head = choose_heads(train_products, s)
    order = phrase_order(train_products, heads)
    index = {k: {v: c for c, v in enumerate(vs)} for k, vs in heads.items()}
    labels = {}
    for k in heads:
        lab = np.full(len(products), -1, dtype=np.int64)
        for i, p in enumerate(products):
            for v in p.attributes.get(k, []):
                if v in index[k]:
                    lab[i] = index[k][v]
                    break
        labels[k] = lab
    stated = []
    value_words = {k: [_words(v) for v in vs] for k, vs in heads.items()}
    for i, p in enumerate(products):
        row = []
        for t in (p.title, p.text):
            w = _words(t)
            row.append(tuple(k for k in order if labels[k][i] >= 0 and _contains(w, value_words[k][labels[k][i]])))
        stated.append(tuple(row))
    rng = np.random.default_rng(seed)
    corpus: List[str] = []
    values: List[str] = []
    for i in train_idx:
        p = products[i]
        corpus.append(p.title)
        if p.description:
            corpus.append(p.description)
        values.extend(v for vs in p.attributes.values() for v in vs)
    data = CatalogData(directory=directory, products=products, images=np.stack(images), train=train_idx,
                       validation=val_idx, heads=heads, no_head=no_head, order=order, labels=labels, stated=stated,
                       corpus=corpus, values=values, train_hash=lines_hash(train_products),
                       validation_hash=lines_hash([products[i] for i in val_idx]))
    data.corpus.extend(data.phrase(int(i), rng, s)[0] for i in train_idx)
    data.summary = {"directory": os.path.abspath(directory), "productsRead": len(products) + len(broken) + len(held),
                    "heldOutTestSplit": len(held), "skippedImages": len(broken), "skippedImageIds": broken[:20],
                    "train": int(len(train_idx)), "validation": int(len(val_idx)),
                    "valFraction": s.val_fraction, "split": "sha256 of the product id",
                    "trainHash": data.train_hash, "validationHash": data.validation_hash}
    return data


# ---------------------------------------------------------------- validation
def attribute_queries(data: CatalogData, rows: np.ndarray) -> List[Tuple[str, List[int], Tuple[str, ...]]]:
    """(query, relevant gallery rows, heads named) over the validation products `rows`: each head
    value, and each pair of values of two heads seen together, phrased in phrase order; relevant,
    the products that have every value the query names."""
    def has(i: int, k: str, v: str) -> bool:
        return v in data.products[i].attributes.get(k, [])

    queries: Dict[str, Tuple[List[int], Tuple[str, ...]]] = {}
    combos = set()
    for k in data.order:
        for v in data.heads[k]:
            rel = [r for r, i in enumerate(rows) if has(int(i), k, v)]
            if rel:
                queries.setdefault(v, (rel, (k,)))
    for i in rows:
        vals = [(k, data.value(k, int(i))) for k in data.order if data.labels[k][i] >= 0]
        for a in range(len(vals)):
            for b in range(a + 1, len(vals)):
                combos.add((vals[a], vals[b]))
    for (ka, va), (kb, vb) in sorted(combos):
        rel = [r for r, i in enumerate(rows) if has(int(i), ka, va) and has(int(i), kb, vb)]
        if rel:
            queries.setdefault(f"{va} {vb}", (rel, (ka, kb)))
    return [(q, rel, named) for q, (rel, named) in sorted(queries.items())]


@torch.no_grad()
def validate(data: CatalogData, rows: np.ndarray, bat, dev, image_model, text_model,
             heads: Optional[AttributeHeads] = None, queries: Optional[list] = None) -> dict:
    """Numbers on the validation products `rows` (clean images as the gallery), none of which any
    gradient saw:
    - val_text_image_p@10 / r@10: attribute queries (attribute_queries), text -> image, with the
      chance level (the relevant share of the gallery) beside them; `val_text_image_p@10:<head>`,
      the queries of one value of that head alone;
    - val_product_text_r@10: the text the server embeds for a product, its own image among the top 10;
    - val_head_accuracy:<attribute>: the image embedding's head prediction, with the majority class's
      share as its chance level.
    `queries`: attribute_queries(data, rows) when already built (every epoch measures the same)."""
    gal = pipeline.embed_images(image_model, torch.from_numpy(data.images[rows]).to(dev))
    n = len(rows)
    out: dict = {"gallery": int(n)}
    qs = attribute_queries(data, rows) if queries is None else queries
    if qs:
        top = top_k(pipeline.embed_texts(text_model, bat, [q for q, _, _ in qs]), gal, 10)
        rel = [set(r) for _, r, _ in qs]
        out["val_text_image_p@10"] = round(precision_at(top, rel, 10), 4)
        out["val_text_image_r@10"] = round(recall_at(top, rel, 10), 4)
        out["chance_text_image_p@10"] = round(float(np.mean([len(r) / n for r in rel])), 4)
        out["chance_text_image_r@10"] = round(min(1.0, 10 / n), 4)
        out["attribute_queries"] = len(qs)
        for k in data.order:
            sel = [j for j, (_, _, named) in enumerate(qs) if named == (k,)]
            if sel:
                out[f"val_text_image_p@10:{k}"] = round(precision_at(top[sel], [rel[j] for j in sel], 10), 4)
                out[f"chance_text_image_p@10:{k}"] = round(float(np.mean([len(rel[j]) / n for j in sel])), 4)
    texts = [data.products[int(i)].text for i in rows]
    top = top_k(pipeline.embed_texts(text_model, bat, texts), gal, 10)
    out["val_product_text_r@10"] = round(recall_at(top, [{r} for r in range(n)], 10), 4)
    out["chance_product_text_r@10"] = round(min(1.0, 10 / n), 4)
    if heads is not None:
        for k, proto in heads.prototypes.items():
            lab = data.labels[k][rows]
            known = lab >= 0
            if not known.any():
                continue
            pred = (gal @ torch.nn.functional.normalize(proto, dim=1).t()).argmax(1).cpu().numpy()
            out[f"val_head_accuracy:{k}"] = round(float((pred[known] == lab[known]).mean()), 4)
            out[f"chance_head_accuracy:{k}"] = round(float(np.bincount(lab[known]).max() / known.sum()), 4)
    return out


SELECTION = "val_text_image_p@10"


def selection_score(v: dict) -> float:
    """The number epochs are chosen on: attribute-query precision, else the product-text recall."""
    return float(v.get(SELECTION, v.get("val_product_text_r@10", 0.0)))


# ---------------------------------------------------------------- training
def train_towers(data: CatalogData, cfg: Config, s: Settings, tok: WordPieceTokenizer, dev, rng) -> dict:
    """Contrastive alignment of the text and image towers with attribute heads, early stopping on
    the validation split; returns the best epoch's models and the history."""
    bat = pipeline.BATCHER
    text_model = TextTransformer(len(tok), d=cfg.d_model, layers=cfg.layers, heads=cfg.heads, ff=cfg.ff,
                                 max_len=cfg.max_length, dropout=cfg.dropout).to(dev)
    image_model = ImageCNN(size=cfg.size, width=cfg.image_width).to(dev).to(memory_format=torch.channels_last)
    losses = {"mlm": pipeline.train_mlm(text_model, tok, data.corpus, cfg, dev, rng)}
    images = torch.from_numpy(data.images).to(dev)
    labels = {k: torch.from_numpy(v).to(dev) for k, v in data.labels.items()}
    scale, scale_inst = LogitScale().to(dev), LogitScale().to(dev)
    heads = AttributeHeads({k: len(v) for k, v in data.heads.items()}, DIM).to(dev) if data.heads else None
    image_params = list(image_model.parameters()) + list(scale.parameters()) + list(scale_inst.parameters()) \
        + (list(heads.parameters()) if heads is not None else [])
    params = image_params + list(text_model.parameters())
    opt = torch.optim.AdamW([{"params": image_params, "lr": cfg.clip_lr},
                             {"params": list(text_model.parameters()), "lr": cfg.clip_lr * 0.5}], weight_decay=0.02)
    batch = min(s.batch, len(data.train))
    steps = s.epochs * max(1, len(data.train) // batch)
    stage = pipeline.Stage("clip")
    sched = pipeline.cosine_schedule(opt, steps, warmup=min(200, steps // 10 + 1), stage=stage)
    choice_rows = data.validation[: s.choice_gallery]
    choice_queries = attribute_queries(data, choice_rows)
    history: List[dict] = []
    best = (-1.0, None, None, None, 0)
    for ep in range(s.epochs):
        if stage.over():
            log("time budget reached: stopping")
            break
        text_model.train()
        image_model.train()
        tot, n = 0.0, 0
        for b in pipeline.chunks(rng.permutation(data.train), batch):
            texts, stating = zip(*(data.training_text(int(i), rng, s) for i in b))
            texts = list(texts)
            ids, mask = bat(texts)
            at = torch.from_numpy(b).to(dev)
            lab = {k: v[at] for k, v in labels.items()}
            groups = pipeline.described(pipeline.text_group(texts, dev), stating, lab)
            t = text_model(ids, mask)
            views = torch.cat([augment.augment(images[at], strength=cfg.augment_strength, skin_safe_occluders=False)
                               for _ in range(2)])
            e, e2 = image_model(pipeline.channels_last(views)).chunk(2)
            loss = 0.5 * (info_nce(t, e, scale(), groups) + info_nce(t, e2, scale(), groups)) \
                + cfg.instance_weight * info_nce(e, e2, scale_inst())
            if heads is not None:
                target = {k: v.clamp(min=0) for k, v in lab.items()}
                has = {k: v >= 0 for k, v in lab.items()}
                named = {k: torch.tensor([k in st for st in stating], device=dev) & has[k] for k in lab}
                loss = loss + 0.5 * cfg.attribute_weight * (heads(e, target, has) + heads(e2, target, has)) \
                    + cfg.text_attribute_weight * heads(t, target, named)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 2.0)
            opt.step()
            sched.step()
            tot, n = tot + loss.item(), n + 1
        image_model.eval()
        text_model.eval()
        v = validate(data, choice_rows, bat, dev, image_model, text_model, heads, choice_queries)
        score = selection_score(v)
        history.append({"epoch": ep + 1, "loss": round(tot / max(n, 1), 4), **v})
        log(f"epoch {ep + 1}/{s.epochs} loss {tot / max(n, 1):.3f} validation {SELECTION} "
            f"{v.get(SELECTION)} product-text r@10 {v['val_product_text_r@10']}")
        if score > best[0]:
            best = (score, copy.deepcopy(image_model.state_dict()), copy.deepcopy(text_model.state_dict()),
                    copy.deepcopy(heads.state_dict()) if heads is not None else None, ep + 1)
        elif ep + 1 - best[4] >= s.patience:
            log(f"no better validation score for {s.patience} epochs: stopping")
            break
    losses["clip"] = history[-1]["loss"] if history else float("nan")
    image_model.load_state_dict(best[1])
    text_model.load_state_dict(best[2])
    if heads is not None:
        heads.load_state_dict(best[3])
    image_model.eval()
    text_model.eval()
    image_model.to(memory_format=torch.contiguous_format)
    return {"image": image_model, "text": text_model, "heads": heads, "history": history, "best_epoch": best[4],
            "losses": losses}


# ---------------------------------------------------------------- export
def _file_hash(paths: Sequence[str]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def write_models(out_dir: str, cfg: Config, s: Settings, data: CatalogData, tok: WordPieceTokenizer,
                 image_model, text_model, losses: dict, val: dict, rng) -> dict:
    """ONNX files, tokenizer (with parity cases), manifest and golden fixtures of the two towers."""
    os.makedirs(out_dir, exist_ok=True)
    tok_dir = os.path.join(out_dir, TEXT_MODEL)
    tok.save(tok_dir)
    own = [data.products[int(i)].title for i in data.train[:40]] + [data.phrase(int(i), rng, s)[0]
                                                                      for i in data.train[:40]]
    with open(os.path.join(tok_dir, "tokenizer-cases.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "ids": tok.encode(t, truncate=False)} for t in tokenizer_cases() + own], f,
                  ensure_ascii=False, indent=0)
    image_file = os.path.join(out_dir, IMAGE_MODEL, "model.onnx")
    text_file = os.path.join(out_dir, TEXT_MODEL, "model.onnx")
    export.export_image(copy.deepcopy(image_model), image_file, cfg.size)
    export.export_text(copy.deepcopy(text_model), text_file, cfg.max_length)
    # the index version names the exported weights: a store built with any other models never matches
    index = {"name": INDEX_NAME, "version": "1.0.0+" + _file_hash([image_file, text_file])[:16], "dim": DIM}
    compat = f"{index['name']}@{index['version']}"
    common = {"seed": cfg.seed, "size": cfg.size, "max_length": cfg.max_length, "vocab_size": cfg.vocab_size,
              "catalogSettings": s.to_dict(), "attributeHeads": {k: list(v) for k, v in data.heads.items()}}
    h = data.train_hash
    entries = [
        export.image_entry(IMAGE_MODEL, "1.0.0", h, cfg.size,
                           "Six-convolution CNN trained on this catalogue's product images: symmetric InfoNCE with "
                           "the text tower (product text, title, attribute-value phrases), an instance loss between "
                           "two photo-style views, and attribute heads learnt from the catalogue ("
                           + (", ".join(data.heads) or "none") + "). Weights of the best validation epoch.",
                           {**common, **image_model.config, "epochs": s.epochs, "bestEpoch": val.get("bestEpoch"),
                            "batch": s.batch, "lr": cfg.clip_lr}),
        export.text_entry(TEXT_MODEL, "1.0.0", h, cfg.max_length, False,
                          "RoBERTa-style transformer with a WordPiece vocabulary from this catalogue: MLM on the "
                          "catalogue's texts, then contrastive alignment with the image tower. No query-side "
                          "fine-tuning (a catalogue has no search sessions).",
                          {**common, **text_model.config, "mlmEpochs": cfg.mlm_epochs, "epochs": s.epochs},
                          tokenizer_dir=TEXT_MODEL),
    ]
    for e in entries:
        e["compatibleWith"] = compat
        e["training"] = {"finalLoss": {k: (round(float(v), 5) if np.isfinite(v) else None) for k, v in losses.items()},
                         "validation": {e["name"]: val["final"]}, "validationDataHash": data.validation_hash}
    man = export.manifest(cfg.profile, h, entries, index=index,
                          defaults={"image": IMAGE_MODEL, "text": TEXT_MODEL, "fusion": None})
    man["trainingData"]["source"] = "catalogue"
    export.validate_manifest(man, out_dir)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    picks = [int(data.train[0]), int(data.train[len(data.train) // 2]), int(data.train[-1])]
    texts = [data.products[i].title for i in picks] + [data.products[picks[0]].text,
                                                         data.phrase(picks[1], rng, s)[0], "ROT!? Größe 38 – café"]
    gimgs = {f"sample-{k}": data.images[i] for k, i in enumerate(picks)}
    export.golden(out_dir, tok, {TEXT_MODEL: copy.deepcopy(text_model).cpu().eval()},
                  {IMAGE_MODEL: copy.deepcopy(image_model).cpu().eval()}, {}, texts, gimgs)
    return man


def check_output(out_dir: str) -> None:
    """Refuses to overwrite a models directory trained on something else than a catalogue (the
    seed models in models/, say)."""
    path = os.path.join(out_dir, "manifest.json")
    if not os.path.isfile(path):
        return
    with open(path) as f:
        man = json.load(f)
    if man.get("index", {}).get("name") != INDEX_NAME:
        raise SystemExit(f"{out_dir} holds models of the index {man.get('index', {}).get('name')!r}, not ones trained "
                         "on a catalogue: give another --out (or --replace-models to overwrite them)")


def run(directory: str, out_dir: str, cfg: Config, s: Settings) -> dict:
    started = time.time()
    torch.set_num_threads(2)
    dev = pipeline.device()
    rng = pipeline.seed_everything(cfg.seed)
    log(f"catalogue {directory}, profile {cfg.profile}, device {dev}, output {out_dir}")
    data = load_catalog(directory, cfg.size, s, cfg.seed)
    log(f"{len(data.products)} products: {len(data.train)} train, {len(data.validation)} validation; attribute "
        f"heads {({k: len(v) for k, v in data.heads.items()})}, phrase order {data.order}")
    sample = data.corpus + data.values
    if cfg.tokenizer_samples and len(sample) > cfg.tokenizer_samples:
        sample = [sample[i] for i in np.random.default_rng(cfg.seed).permutation(len(sample))[: cfg.tokenizer_samples]]
    tok = train_wordpiece(sample, vocab_size=cfg.vocab_size, max_length=cfg.max_length)
    log(f"vocabulary {len(tok)} tokens")
    pipeline.BATCHER = pipeline.Batcher(tok, dev)
    pipeline.BATCHER.prefill(data.corpus + [p.text for p in data.products], pipeline.workers_count())
    pipeline.plan_stages(cfg, started, shares=[("mlm", 0.05), ("clip", 0.95)])
    result = train_towers(data, cfg, s, tok, dev, rng)
    final = validate(data, data.validation, pipeline.BATCHER, dev, result["image"], result["text"], result["heads"])
    val = {"final": final, "bestEpoch": result["best_epoch"]}
    pipeline.print_table({"validation": final})
    log(f"exporting to {out_dir}")
    man = write_models(out_dir, cfg, s, data, tok, result["image"], result["text"], result["losses"], val, rng)
    vocab = set(tok.vocab)
    report = {
        "catalog": data.summary,
        "index": man["index"],
        "profile": cfg.profile,
        "config": cfg.to_dict(),
        "settings": s.to_dict(),
        "vocabulary": {"tokens": len(tok), "budget": cfg.vocab_size,
                       "headValuesInVocabulary": sum(all(w in vocab for w in split_words(v))
                                                     for vs in data.heads.values() for v in vs),
                       "headValues": sum(len(v) for v in data.heads.values())},
        "attributeHeads": {k: {"values": v, "trainProducts": int((data.labels[k][data.train] >= 0).sum())}
                           for k, v in data.heads.items()},
        "attributesWithoutHead": data.no_head,
        "phraseOrder": data.order,
        "selection": f"{SELECTION} on the validation split (the best epoch's weights are exported)",
        "bestEpoch": result["best_epoch"],
        "epochs": result["history"],
        "validation": final,
        "losses": result["losses"],
        "trained": [IMAGE_MODEL, TEXT_MODEL],
        "notTrained": NOT_TRAINED,
        "seconds": round(time.time() - started, 1),
    }
    with open(os.path.join(out_dir, REPORT_FILE), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    log(f"done: {os.path.join(out_dir, REPORT_FILE)}")
    return report


def main(argv: Optional[List[str]] = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m training.train --catalog DIR",
                                 description="Train the text and image towers on a catalogue directory "
                                             "(products.jsonl + images) and export a models directory.")
    ap.add_argument("--catalog", required=True, help="catalogue directory with products.jsonl")
    ap.add_argument("--out", default=None, help="output models directory (default: DIR/models)")
    ap.add_argument("--profile", default="full", choices=["full", "smoke"])
    ap.add_argument("--time-budget", type=float, default=0.0, help="seconds for the whole run (0: no limit)")
    ap.add_argument("--epochs", type=int, default=None, help="most contrastive epochs (default: the profile's)")
    ap.add_argument("--eval", action="store_true",
                    help="accepted for `npm run train -- --catalog DIR`; the TypeScript evaluation needs the seed's "
                         "judged queries, so a catalogue run reports its validation numbers in training-report.json")
    ap.add_argument("--replace-models", action="store_true",
                    help="allow --out to be a directory of models not trained on a catalogue (the seed models)")
    args = ap.parse_args(argv)
    cfg = for_profile(args.profile)
    cfg.mlm_samples = 0
    cfg.time_budget = args.time_budget
    cfg.time_reserve = min(cfg.time_reserve, 0.1 * args.time_budget) if args.time_budget else cfg.time_reserve
    s = settings_for(args.profile)
    if args.epochs is not None:
        s.epochs = args.epochs
    cfg.mlm_epochs = s.mlm_epochs
    cfg.clip_epochs = s.epochs
    out = args.out or os.path.join(args.catalog, "models")
    if not args.replace_models:
        check_output(out)
    if args.eval:
        log("--eval: the TypeScript evaluation runs on the seed's judged queries; skipped for a catalogue "
            f"(validation numbers go to {os.path.join(out, REPORT_FILE)})")
    return run(args.catalog, out, cfg, s)

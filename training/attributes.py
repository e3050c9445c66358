"""Attributes from pictures: one small classifier head per product attribute on the image tower's
128-d L2-normalised embedding (models/fashion-image, the gallery model), calibrated with a softmax
temperature per attribute, and the rule that fuses the category head with a k-nearest-neighbour
vote of the gallery for image queries.

    /usr/bin/python3 -m training.attributes            # npm run train:attributes
    /usr/bin/python3 -m training.attributes --catalog DIR --store none --out OUT --manifest none --profile smoke

Which split feeds what (the seed's rule, training/tests/test_splits.py):

- train: every gradient. The heads learn from the train products' clean image vectors as the server
  stored them (data/bench-scale/full/catalog.sqlite, `vectors` of space `image`) and from photo-like
  views of their renders (the render cache of training.data, else the catalogue images letterboxed
  as the server does), put through training/augment.py (the in-distribution degradations; never the
  held-out real-shot family) and embedded by the PyTorch image tower of the training checkpoint,
  after a parity check of that tower against models/fashion-image/model.onnx on onnxruntime. The
  train products' clean vectors are also the k-NN gallery of the category fusion.
- validation: every choice: which augmented views, the head size, the epoch, the temperatures, the
  fusion's K and W, the filter confidence F and the minimum confidence M; and the reported
  numbers. Query sets: the validation products' clean vectors ("clean") and the validation split's
  in-distribution real-shot photos ("photos", queries/realshot-indist-validation.jsonl), embedded by
  onnxruntime exactly as the server embeds an uploaded image (training/parity/onnx-runtime.mjs).
- test: never read. Products of the test split are dropped as their line is parsed (and the seed's
  products.jsonl, ordered train, validation, test, is not read past its first test product); a
  photo file or row of the test split, or of the held-out photo family, is refused
  (ForbiddenSplitError); Fashion-MNIST's own files are never opened. The test split and
  Fashion-MNIST are measured by `npm run eval:attributes`.

Heads: the attributes that the train products label with one value each (training.catalog's
choose_heads: on at least 10% of the train products, single-valued on 90% of them, values on at
least 5 products), values most frequent first. The ONNX graph (opset 14, input `embedding` float32
[batch, 128]) has one output per attribute, named as the attribute: probabilities [batch, values],
the temperature baked in. Its manifest entry (`fashion-attributes`, role `attributes`) lists the
labels, the category fusion, the minimum confidence and the validation numbers.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import augment
from .calibration import ece, fit_temperature, nll, precision_above, softmax, threshold_for_precision
from .data import ForbiddenSplitError
from .metrics import top_k
from .models import DIM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_DIR = os.path.join(ROOT, "data", "training-cache")
MODEL_NAME = "fashion-attributes"
MODEL_VERSION = "1.0.0"
IMAGE_MODEL = "fashion-image"
TRAINING_SPLITS = ("train", "validation")
PHOTO_FAMILY = "in-distribution"
ORT_HELPER = os.path.join(ROOT, "training", "parity", "onnx-runtime.mjs")
REPORT_FILE = "training-report.json"

T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


@dataclass
class Settings:
    """Every number here is either fixed beforehand (marked) or a candidate list the validation
    split chooses from."""
    val_fraction: float = 0.15            # fixed: products without a `split` (training.catalog's rule)
    strengths: Tuple[float, ...] = (0.5, 1.0)   # one augmented view of every train product per strength
    hidden: Tuple[int, ...] = (0, 128, 256)     # head sizes tried (0: linear)
    epochs: int = 8                       # at most; the best validation epoch is kept
    patience: int = 2
    batch: int = 2048                     # fixed
    lr: float = 2e-3                      # fixed (AdamW, cosine)
    weight_decay: float = 1e-4            # fixed
    dropout: float = 0.1                  # fixed
    ks: Tuple[int, ...] = (1, 3, 5, 10, 20, 30, 50)
    weights: Tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))
    filter_precision: float = 0.99        # fixed by the issue: F
    value_precision: float = 0.95         # fixed by the issue: M
    min_support: int = 30                 # fixed: fewer predictions above a threshold are not measured
    ece_bins: int = 15                    # fixed
    seed: int = 1234

    def to_dict(self) -> dict:
        return asdict(self)


def settings_for(profile: str) -> Settings:
    if profile == "full":
        return Settings()
    if profile == "smoke":
        return Settings(strengths=(1.0,), hidden=(0, 32), epochs=4, patience=2, batch=64, ks=(1, 3, 5),
                        weights=(0.0, 0.5, 1.0), min_support=5)
    raise ValueError(f"unknown profile {profile!r}: use 'full' or 'smoke'")


# ---------------------------------------------------------------- the catalogue, train and validation only
def require_training_split(split: str, what: str = "data") -> str:
    """The split's name when training may read it; ForbiddenSplitError for the test split (or any
    split that is neither train nor validation)."""
    if split not in TRAINING_SPLITS:
        raise ForbiddenSplitError(f"{what} of the {split!r} split: attribute training reads the train and "
                                  "validation splits only (the test split is for npm run eval:attributes)")
    return split


@dataclass
class Item:
    id: str
    split: str
    attributes: Dict[str, List[str]]
    image: str


@dataclass
class Catalogue:
    directory: str
    items: List[Item]                 # train products, then validation products, in file order
    hashes: Dict[str, str]            # split -> sha256 over its products.jsonl lines
    skipped_test: int                 # test products dropped unread (0 when the file stops at them)
    stopped_at_test: bool

    def split(self, name: str) -> List[int]:
        require_training_split(name)
        return [i for i, it in enumerate(self.items) if it.split == name]


def _split_of(product_id: str, val_fraction: float) -> str:
    from .catalog import split_of

    return split_of(product_id, val_fraction)


def seed_catalogue(directory: str) -> Optional[dict]:
    """The seed generator's manifest.json of a catalogue directory (None for a shop's catalogue)."""
    path = os.path.join(directory, "manifest.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        man = json.load(f)
    return man if isinstance(man, dict) and "generatorVersion" in man else None


def read_catalogue(directory: str, val_fraction: float = 0.15) -> Catalogue:
    """The train and validation products of DIR/products.jsonl. A product's split is its `split`
    field, else training.catalog's hash of its id. Test products are dropped as soon as their line
    is parsed; when the file is the seed's (every line has a split, ordered train, validation,
    test) reading stops at the first test product."""
    path = os.path.join(directory, "products.jsonl")
    items: List[Item] = []
    hashes = {s: hashlib.sha256() for s in TRAINING_SPLITS}
    skipped, stopped = 0, False
    ordered = seed_catalogue(directory) is not None  # the seed writes train, then validation, then test
    rank, seen_rank = {"train": 0, "validation": 1, "test": 2}, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            raw = json.loads(line)
            split = raw.get("split")
            if split is None:
                split = _split_of(raw["id"], val_fraction)
            elif ordered and split in rank:
                if rank[split] < seen_rank:
                    raise RuntimeError(f"{path}: a {split} product after the {TRAINING_SPLITS[seen_rank]} split, "
                                       "but the seed catalogue is ordered train, validation, test")
                seen_rank = rank[split]
            if split == "test":
                if ordered:
                    stopped = True
                    break
                skipped += 1
                continue
            require_training_split(split, f"product {raw.get('id')}")
            hashes[split].update((line + "\n").encode("utf-8"))
            attrs = {k: [x for x in v if isinstance(x, str) and x.strip()] for k, v in (raw.get("attributes") or {}).items()
                     if isinstance(v, list)}
            items.append(Item(raw["id"], split, attrs, raw.get("image", "")))
    items.sort(key=lambda it: it.split != "train")  # stable: train first, then validation
    return Catalogue(directory, items, {s: "sha256:" + h.hexdigest() for s, h in hashes.items()}, skipped, stopped)


def choose_heads(cat: Catalogue) -> Tuple[Dict[str, List[str]], Dict[str, str]]:
    """training.catalog's rule on the train products: (attribute -> values, most frequent first),
    and why every other attribute has no head."""
    from .catalog import Settings as CatalogSettings
    from .catalog import choose_heads as catalog_heads

    return catalog_heads([cat.items[i] for i in cat.split("train")], CatalogSettings())


def label_matrix(items: Sequence[Item], heads: Dict[str, List[str]]) -> np.ndarray:
    """int64 [N, heads]: the class of each product per head; -1 where the product has no value,
    several values, or a value without a class."""
    out = np.full((len(items), len(heads)), -1, dtype=np.int64)
    for h, (name, values) in enumerate(heads.items()):
        index = {v: k for k, v in enumerate(values)}
        for i, it in enumerate(items):
            vs = it.attributes.get(name) or []
            if len(vs) == 1 and vs[0] in index:
                out[i, h] = index[vs[0]]
    return out


# ---------------------------------------------------------------- embeddings
def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def store_vectors(store: str, ids: Sequence[str], image_model_sha256: Optional[str]) -> np.ndarray:
    """float32 [N, 128]: the image vectors the server stored for `ids` (table vectors, space
    'image'), read through a temporary table of the wanted ids, so no other product's vector is
    read. The store must have been built with the image model of sha256 `image_model_sha256`."""
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        space = json.loads(meta.get("space", "{}"))
        built = {m.get("role"): m.get("sha256") for m in space.get("models", [])}
        if image_model_sha256 is not None and built.get("image") != image_model_sha256:
            raise RuntimeError(f"{store} holds vectors of image model {built.get('image')}, not of the current "
                               f"{IMAGE_MODEL} ({image_model_sha256}): re-ingest the catalogue first")
        con.execute("CREATE TEMP TABLE wanted (n INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        con.executemany("INSERT INTO wanted VALUES (?, ?)", enumerate(ids))
        out = np.full((len(ids), DIM), np.nan, dtype=np.float32)
        rows = con.execute("SELECT w.n, v.vector FROM wanted w JOIN products p ON p.id = w.id "
                           "JOIN vectors v ON v.slot = p.slot AND v.space = 'image'")
        for n, blob in rows:
            out[n] = np.frombuffer(blob, dtype="<f4")
    finally:
        con.close()
    missing = int(np.isnan(out[:, 0]).sum())
    if missing:
        raise RuntimeError(f"{store} has no image vector for {missing} of {len(ids)} products")
    return out


def load_tower(checkpoint: str) -> nn.Module:
    """The image tower of a training checkpoint (training.train.save_checkpoint)."""
    from .train import load_checkpoint

    _meta, _tok, nets, _samples = load_checkpoint(checkpoint)
    return nets[IMAGE_MODEL].eval()


@torch.no_grad()
def embed(tower: nn.Module, images: np.ndarray, strength: Optional[float] = None, seed: int = 0,
          batch: int = 2048) -> np.ndarray:
    """float32 [N, 128] embeddings of uint8 [N, H, W, 3] images: clean (strength None) or one
    photo-like view each, training/augment.py at `strength` with a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    out = np.empty((len(images), DIM), dtype=np.float32)
    for s in range(0, len(images), batch):
        x = torch.from_numpy(np.array(images[s: s + batch]))  # a writable copy (renders may be memory-mapped)
        x = augment.preprocess(x) if strength is None else augment.augment(x, g, strength=strength)
        out[s: s + len(x)] = tower(x.contiguous(memory_format=torch.channels_last)).numpy()
    return out


def letterboxed(directory: str, items: Sequence[Item], size: int = 32) -> np.ndarray:
    """uint8 [N, size, size, 3]: each product image letterboxed on white as the server does."""
    from .catalog import load_images

    imgs = load_images(directory, items, size, workers=2)
    bad = [it.id for it, im in zip(items, imgs) if im is None]
    if bad:
        raise RuntimeError(f"{len(bad)} product images do not decode, e.g. {bad[:3]}")
    return np.stack(imgs)


def render_cache(cat: Catalogue, train_rows: Sequence[int], data_hash: Optional[str], size: int = 32) -> Optional[str]:
    """The render cache training.data wrote for this train split (its key: the split's hash, the size,
    the count, the first and last id), if there is one."""
    if not train_rows or not data_hash:
        return None
    first, last = cat.items[train_rows[0]].id, cat.items[train_rows[-1]].id
    key = hashlib.sha256((data_hash + f"|{size}|{len(train_rows)}|" + first + last).encode()).hexdigest()[:16]
    path = os.path.join(CACHE_DIR, f"renders-full-train-{key}.npy")
    return path if os.path.isfile(path) else None


def node_available() -> bool:
    return shutil.which("node") is not None and os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node"))


def ort_run(model: str, input_name: str, x: np.ndarray) -> Dict[str, np.ndarray]:
    """Runs an ONNX file on onnxruntime-node (the server's runtime) for one float32 input."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "x.bin")
        np.ascontiguousarray(x, dtype="<f4").tofile(src)
        r = subprocess.run(["node", ORT_HELPER, "run", os.path.abspath(model), input_name, src,
                            ",".join(str(d) for d in x.shape), os.path.join(tmp, "y")],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed: {r.stderr[-2000:]}")
        shapes = json.loads(r.stdout.strip().splitlines()[-1])["outputs"]
        return {n: np.fromfile(os.path.join(tmp, f"y.{n}.bin"), dtype="<f4").reshape(s) for n, s in shapes.items()}


def ort_embed_images(models_dir: str, paths: Sequence[str]) -> np.ndarray:
    """The server's embedding of image files: decoded with sharp as src/encoders/image does, then
    the manifest's image model on onnxruntime-node."""
    with tempfile.TemporaryDirectory() as tmp:
        lst, out = os.path.join(tmp, "list.txt"), os.path.join(tmp, "out.bin")
        with open(lst, "w", encoding="utf-8") as f:
            f.write("".join(os.path.abspath(p) + "\n" for p in paths))
        r = subprocess.run(["node", ORT_HELPER, "embed-images", os.path.abspath(models_dir), IMAGE_MODEL, lst, out],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed: {r.stderr[-2000:]}")
        return np.fromfile(out, dtype="<f4").reshape(len(paths), -1)


def tower_parity(tower: nn.Module, onnx_path: str, images: np.ndarray, seed: int) -> dict:
    """The PyTorch tower against the ONNX file on onnxruntime, on the same augmented input tensors:
    the augmented training views are only worth having if they are what the served model computes."""
    g = torch.Generator().manual_seed(seed)
    x = augment.augment(torch.from_numpy(np.array(images)), g, strength=1.0)
    with torch.no_grad():
        mine = tower(x.contiguous(memory_format=torch.channels_last)).numpy()
    theirs = ort_run(onnx_path, "pixel_values", x.numpy())["embedding"]
    cos = (mine * theirs).sum(1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(theirs, axis=1))
    return {"inputs": len(images), "minCosine": float(cos.min()), "maxAbsDiff": float(np.abs(mine - theirs).max())}


@dataclass
class PhotoSet:
    ids: List[str]
    product_rows: np.ndarray          # row in Catalogue.items of the product photographed
    paths: List[str]


def read_photos(cat: Catalogue, file: Optional[str]) -> Optional[PhotoSet]:
    """The validation split's in-distribution real-shot photos (queries/realshot-indist-validation.jsonl).
    A file or row of another split, or a photo of another family (the held-out family is for
    evaluation only), is refused."""
    if not file or not os.path.isfile(file):
        return None
    base = os.path.basename(file)
    if "test" in base.split("-") or "test." in base or "-test" in base:
        raise ForbiddenSplitError(f"{file}: a photo file of the test split")
    rows_of = {it.id: i for i, it in enumerate(cat.items) if it.split == "validation"}
    ids, rows, paths = [], [], []
    with open(file, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            require_training_split(r.get("split", ""), f"photo {r.get('id')}")
            if r["split"] != "validation":
                raise ForbiddenSplitError(f"photo {r['id']}: photos tune choices, so only validation photos are read")
            if r.get("family") != PHOTO_FAMILY:
                raise ForbiddenSplitError(f"photo {r['id']} belongs to the {r.get('family')!r} family: only the "
                                          f"{PHOTO_FAMILY!r} family may be used (the held-out family is for evaluation)")
            if r["productId"] not in rows_of:
                raise ForbiddenSplitError(f"photo {r['id']} shows {r['productId']}, not a validation product")
            ids.append(r["id"])
            rows.append(rows_of[r["productId"]])
            paths.append(os.path.join(cat.directory, r["image"]))
    return PhotoSet(ids, np.array(rows, dtype=np.int64), paths)


# ---------------------------------------------------------------- heads
class AttributeHeads(nn.Module):
    """One small classifier per attribute on the 128-d embedding: linear (hidden 0) or one hidden
    ReLU layer. Returns the logits of every head, in `names` order."""

    def __init__(self, sizes: Dict[str, int], hidden: int, dropout: float = 0.1):
        super().__init__()
        self.names = list(sizes)
        self.hidden = hidden

        def head(v: int) -> nn.Module:
            if hidden == 0:
                return nn.Linear(DIM, v)
            return nn.Sequential(nn.Linear(DIM, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, v))

        self.heads = nn.ModuleList([head(v) for v in sizes.values()])

    def forward(self, embedding: torch.Tensor) -> List[torch.Tensor]:
        return [h(embedding) for h in self.heads]


class CalibratedAttributes(nn.Module):
    """The exported graph: softmax(logits / T_attribute) per head, one output per attribute."""

    def __init__(self, heads: AttributeHeads, temperatures: Sequence[float]):
        super().__init__()
        self.heads = heads
        self.names = heads.names
        self.register_buffer("inv_t", torch.tensor([1.0 / t for t in temperatures], dtype=torch.float32))

    def forward(self, embedding: torch.Tensor):
        logits = self.heads(embedding)
        return tuple(torch.softmax(l * self.inv_t[i], dim=-1) for i, l in enumerate(logits))


@torch.no_grad()
def logits_of(heads: AttributeHeads, x: np.ndarray, batch: int = 8192) -> List[np.ndarray]:
    heads.eval()
    parts = [heads(torch.from_numpy(x[s: s + batch])) for s in range(0, len(x), batch)]
    return [torch.cat([p[h] for p in parts]).numpy() if parts else np.zeros((0, 0), np.float32)
            for h in range(len(heads.names))]


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    keep = labels >= 0
    return float((logits[keep].argmax(1) == labels[keep]).mean()) if keep.any() else float("nan")


def selection_score(heads: AttributeHeads, val_sets: Dict[str, Tuple[np.ndarray, np.ndarray]]) -> Tuple[float, dict]:
    """The mean over heads of the mean over validation query sets of the accuracy (each set weighs
    the same), and the accuracies."""
    accs = {}
    for s, (x, y) in val_sets.items():
        lg = logits_of(heads, x)
        accs[s] = {n: accuracy(lg[h], y[:, h]) for h, n in enumerate(heads.names)}
    per_head = [np.nanmean([accs[s][n] for s in accs]) for n in heads.names]
    return float(np.mean(per_head)), accs


def train_heads(sizes: Dict[str, int], hidden: int, x: np.ndarray, y: np.ndarray,
                val_sets: Dict[str, Tuple[np.ndarray, np.ndarray]], s: Settings,
                deadline: Optional[float] = None) -> Tuple[AttributeHeads, dict]:
    """Cross-entropy on every head at once (each head has its own parameters, so this is one training
    per attribute), AdamW with a cosine schedule; the weights of the epoch with the best
    selection_score on validation are kept."""
    torch.manual_seed(s.seed)
    heads = AttributeHeads(sizes, hidden, s.dropout)
    opt = torch.optim.AdamW(heads.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    steps = s.epochs * math.ceil(len(x) / s.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps)))
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(s.seed)
    best, best_state, history, stale = -1.0, None, [], 0
    for epoch in range(1, s.epochs + 1):
        heads.train()
        t = time.time()
        perm = torch.randperm(len(X), generator=g)
        total, batches = 0.0, 0
        for b in range(0, len(X), s.batch):
            idx = perm[b: b + s.batch]
            xb, yb = X[idx], Y[idx]
            loss = 0.0
            for h, lg in enumerate(heads(xb)):
                lab = yb[:, h]
                n = int((lab >= 0).sum())
                if n:
                    loss = loss + F.cross_entropy(lg, lab, ignore_index=-1, reduction="sum") / n
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
            batches += 1
        score, accs = selection_score(heads, val_sets)
        history.append({"epoch": epoch, "loss": round(total / max(batches, 1), 4), "score": round(score, 5),
                        "accuracy": {q: {n: _r(v) for n, v in a.items()} for q, a in accs.items()},
                        "seconds": round(time.time() - t, 1)})
        log(f"  hidden {hidden} epoch {epoch}: loss {total / max(batches, 1):.4f}, validation score {score:.4f}")
        if score > best:
            best, best_state, stale = score, copy.deepcopy(heads.state_dict()), 0
        else:
            stale += 1
            if stale >= s.patience:
                break
        if deadline is not None and time.time() > deadline:
            log("  time budget reached")
            break
    heads.load_state_dict(best_state)
    heads.eval()
    return heads, {"hidden": hidden, "bestScore": best, "bestEpoch": max(history, key=lambda r: r["score"])["epoch"],
                   "history": history}


# ---------------------------------------------------------------- calibration and fusion
def calibrate(heads: AttributeHeads, val_sets: Dict[str, Tuple[np.ndarray, np.ndarray]], bins: int) -> Tuple[List[float], dict]:
    """One temperature per head, fitted on the validation query sets (each set's mean NLL weighs the
    same), with accuracy, NLL and ECE before and after, per set."""
    logits = {s: logits_of(heads, x) for s, (x, _y) in val_sets.items()}
    temps, table = [], {}
    for h, name in enumerate(heads.names):
        sets = {}
        for s, (_x, y) in val_sets.items():
            keep = y[:, h] >= 0
            sets[s] = (logits[s][h][keep], y[keep, h])
        t = fit_temperature(list(sets.values()))
        temps.append(t)
        row = {"temperature": round(t, 4)}
        for s, (lg, lab) in sets.items():
            p0, p1 = softmax(lg), softmax(lg, t)
            counts = np.bincount(lab, minlength=lg.shape[1]) if len(lab) else np.zeros(1)
            row[s] = {"n": int(len(lab)), "accuracy": _r(accuracy(lg, lab)),
                      "majority": _r(counts.max() / max(len(lab), 1)),
                      "eceBefore": _r(ece(p0, lab, bins)), "eceAfter": _r(ece(p1, lab, bins)),
                      "nllBefore": _r(nll(p0, lab)), "nllAfter": _r(nll(p1, lab))}
        table[name] = row
    return temps, table


def _r(v: float, d: int = 4) -> Optional[float]:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), d)


def knn_votes(queries: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray, k_max: int) -> np.ndarray:
    """int64 [Q, k_max]: the category of each query's k_max nearest gallery products by cosine
    (the vectors are unit length), nearest first."""
    g = torch.from_numpy(gallery)
    top = top_k(torch.from_numpy(queries), g, k_max, chunk=256)
    return gallery_labels[top]


def knn_probs(votes: np.ndarray, k: int, classes: int) -> np.ndarray:
    """p_knn(c) = (neighbours among the top k whose category is c) / k."""
    out = np.zeros((len(votes), classes), dtype=np.float64)
    for j in range(k):
        np.add.at(out, (np.arange(len(votes)), votes[:, j]), 1.0)
    return out / k


def tune_fusion(classifier: Dict[str, np.ndarray], votes: Dict[str, np.ndarray], labels: Dict[str, np.ndarray],
                classes: int, s: Settings) -> dict:
    """K and W maximising the mean over validation query sets of the accuracy of
    argmax(W p_classifier + (1 - W) p_knn) (ties: the lower mean NLL); then F, the lowest fused
    probability above which the predicted category is right at least filter_precision of the time
    on every query set."""
    grid = []
    for k in s.ks:
        pk = {q: knn_probs(votes[q], k, classes) for q in votes}
        for w in s.weights:
            accs, nlls = {}, {}
            for q in votes:
                p = w * classifier[q] + (1 - w) * pk[q]
                accs[q] = float((p.argmax(1) == labels[q]).mean())
                nlls[q] = nll(p, labels[q], floor=1e-4)
            grid.append({"k": k, "w": w, "score": float(np.mean(list(accs.values()))),
                         "nll": float(np.mean(list(nlls.values()))), "accuracy": {q: _r(a) for q, a in accs.items()}})
    best = max(grid, key=lambda r: (round(r["score"], 10), -r["nll"]))
    k, w = best["k"], best["w"]
    per_set = {}
    thresholds = []
    for q in votes:
        p = w * classifier[q] + (1 - w) * knn_probs(votes[q], k, classes)
        conf, right = p.max(1), p.argmax(1) == labels[q]
        t = threshold_for_precision(conf, right, s.filter_precision, s.min_support)
        thresholds.append(t)
        per_set[q] = {"n": int(len(right)), "accuracy": _r(right.mean()),
                      "classifierAccuracy": _r((classifier[q].argmax(1) == labels[q]).mean()),
                      "knnAccuracy": _r((knn_probs(votes[q], k, classes).argmax(1) == labels[q]).mean()),
                      "threshold": _r(t, 6), "ece": _r(ece(p, labels[q], s.ece_bins))}
    f = max(t for t in thresholds if t is not None)
    for q in votes:
        p = w * classifier[q] + (1 - w) * knn_probs(votes[q], k, classes)
        prec, cov, _n = precision_above(p.max(1), p.argmax(1) == labels[q], f)
        per_set[q].update({"precisionAboveF": _r(prec), "coverageAboveF": _r(cov)})
    return {"k": k, "w": w, "f": f, "sets": per_set,
            "grid": [{"k": r["k"], "w": r["w"], "score": _r(r["score"]), "nll": _r(r["nll"]), "accuracy": r["accuracy"]}
                     for r in grid]}


def min_confidence(probs: Dict[str, List[np.ndarray]], labels: Dict[str, np.ndarray], names: Sequence[str],
                   products: str, s: Settings) -> Tuple[float, dict]:
    """M: the lowest calibrated probability above which every attribute's predicted value is right at
    least value_precision of the time on the validation products (`products` set: the clean vectors
    products are predicted from); each attribute's own threshold, and precision and coverage at M on
    every set."""
    per = {}
    ts = []
    for h, name in enumerate(names):
        keep = labels[products][:, h] >= 0
        p, y = probs[products][h][keep], labels[products][keep, h]
        t = threshold_for_precision(p.max(1), p.argmax(1) == y, s.value_precision, s.min_support)
        per[name] = {"threshold": _r(t, 6)}
        if t is not None:
            ts.append(t)
    m = max(ts)
    for h, name in enumerate(names):
        for q in probs:
            keep = labels[q][:, h] >= 0
            p, y = probs[q][h][keep], labels[q][keep, h]
            prec, cov, n = precision_above(p.max(1), p.argmax(1) == y, m)
            per[name][q] = {"precisionAboveM": _r(prec), "coverageAboveM": _r(cov), "count": n}
    return m, per


# ---------------------------------------------------------------- export
def export_onnx(model: CalibratedAttributes, path: str) -> None:
    from .export import export_onnx as export

    x = F.normalize(torch.randn(2, DIM), dim=1)
    dynamic = {"embedding": {0: "batch"}, **{n: {0: "batch"} for n in model.names}}
    export(model, (x,), path, ["embedding"], list(model.names), dynamic)


def run_onnx_numpy(path: str, x: np.ndarray) -> Dict[str, np.ndarray]:
    """A small numpy interpreter of the operators the exported heads use (Gemm, MatMul, Add, Mul, Div,
    Relu, Softmax, Constant, Identity), for a parity check without an ONNX runtime in Python."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env[m.graph.input[0].name] = x.astype(np.float32)
    for node in m.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input if i]
        op = node.op_type
        if op == "Gemm":
            A, B = ins[0], ins[1]
            A = A.T if a.get("transA", 0) else A
            B = B.T if a.get("transB", 0) else B
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Mul":
            y = ins[0] * ins[1]
        elif op == "Div":
            y = ins[0] / ins[1]
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Softmax":
            axis = a.get("axis", -1)
            z = ins[0] - ins[0].max(axis=axis, keepdims=True)
            e = np.exp(z)
            y = e / e.sum(axis=axis, keepdims=True)
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Identity":
            y = ins[0]
        else:
            raise NotImplementedError(f"operator {op} in {path}")
        env[node.output[0]] = np.asarray(y, dtype=np.float32)
    return {o.name: env[o.name] for o in m.graph.output}


def onnx_parity(model: CalibratedAttributes, path: str, x: np.ndarray) -> dict:
    """Max |difference| between the PyTorch heads and the ONNX file: on onnxruntime-node when it is
    installed, and on the numpy interpreter."""
    with torch.no_grad():
        ref = [t.numpy() for t in model(torch.from_numpy(x))]
    out = {"inputs": len(x)}
    runners = {"numpy": lambda: run_onnx_numpy(path, x)}
    if node_available():
        runners["onnxruntime"] = lambda: ort_run(path, "embedding", x)
    for name, fn in runners.items():
        got = fn()
        out[name] = max(float(np.abs(got[n] - r).max()) for n, r in zip(model.names, ref))
    return out


def manifest_entry(names: Sequence[str], labels: Dict[str, List[str]], fusion: dict, m: float, hashes: Dict[str, str],
                   metrics: dict, hyper: dict, catalog: str) -> dict:
    return {
        "name": MODEL_NAME, "role": "attributes", "version": MODEL_VERSION, "file": f"{MODEL_NAME}/model.onnx",
        "dim": DIM, "requires": [IMAGE_MODEL], "compatibleWith": "fashion-space@1.0.0",
        "inputs": [{"name": "embedding", "type": "float32", "shape": ["batch", DIM]}],
        "outputs": [{"name": n, "type": "float32", "shape": ["batch", len(labels[n])]} for n in names],
        "labels": {n: labels[n] for n in names},
        # a threshold no prediction reaches is stored as 1 (the loader's upper bound)
        "categoryFusion": {"attribute": fusion.get("attribute", "category"), "k": fusion["k"], "classifierWeight": fusion["w"],
                           "filterConfidence": round(min(fusion["f"], 1.0), 6), "chosenOn": "validation"},
        "minConfidence": round(min(m, 1.0), 6),
        "trainingData": {"catalog": catalog, "split": "train", "hash": hashes["train"],
                         "validationHash": hashes["validation"]},
        "metrics": metrics,
        "description": "One small classifier head per attribute on the fashion-image embedding, softmax with a "
                       "per-attribute temperature fitted on validation (baked in): outputs are probabilities. "
                       "Image queries fuse the category head with a k-NN vote of the gallery (categoryFusion).",
        "hyperParameters": hyper,
    }


def own_description(entry: dict) -> dict:
    """The entry as the model folder's own model.json, which src/attributes reads first: its file
    path is relative to the folder, not to the models folder."""
    return {**entry, "file": os.path.basename(entry["file"])}


def write_manifest_entry(manifest_path: str, entry: dict) -> None:
    """Adds (or replaces) this model's entry; every other entry stays as it is."""
    with open(manifest_path, encoding="utf-8") as f:
        man = json.load(f)
    models = [e for e in man["models"] if e.get("name") != entry["name"]]
    models.append(entry)
    man["models"] = models
    with open(manifest_path, "w", encoding="utf-8") as f:
        f.write(json.dumps(man, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- the run
def run(catalog: str, out_dir: str, s: Settings, *, store: Optional[str], tower: nn.Module,
        models_dir: Optional[str], manifest: Optional[str], photos_file: Optional[str],
        use_render_cache: bool = True, embedding_cache: Optional[str] = None) -> dict:
    started = time.time()
    timings: Dict[str, float] = {}

    def lap(name: str, t: float) -> None:
        timings[name] = round(time.time() - t, 1)

    torch.manual_seed(s.seed)
    t = time.time()
    cat = read_catalogue(catalog, s.val_fraction)
    train_rows, val_rows = cat.split("train"), cat.split("validation")
    seed_man = seed_catalogue(catalog)
    if seed_man and seed_man.get("dataHash"):
        for split in TRAINING_SPLITS:
            want = "sha256:" + seed_man["dataHash"][split]
            if cat.hashes[split] != want:
                raise RuntimeError(f"the {split} split read ({cat.hashes[split]}) is not the catalogue's ({want})")
    heads_values, no_head = choose_heads(cat)
    names = list(heads_values)
    sizes = {n: len(v) for n, v in heads_values.items()}
    y_all = label_matrix(cat.items, heads_values)
    log(f"{len(train_rows)} train and {len(val_rows)} validation products "
        f"({'read stopped at the first test product' if cat.stopped_at_test else f'{cat.skipped_test} test products dropped'}); "
        f"heads {', '.join(f'{n} ({sizes[n]})' for n in names)}; no head: {no_head}")
    lap("catalogue", t)

    image_onnx = os.path.join(models_dir, IMAGE_MODEL, "model.onnx") if models_dir else None
    parity: dict = {}
    # clean vectors: the store's (what the server serves), else embedded here
    t = time.time()
    if store:
        sha = file_sha256(image_onnx) if image_onnx and os.path.isfile(image_onnx) else None
        clean = store_vectors(store, [it.id for it in cat.items], sha)
        log(f"read {len(clean)} image vectors from {os.path.relpath(store, ROOT)}")
    else:
        clean = embed(tower, letterboxed(catalog, cat.items))
        log(f"embedded {len(clean)} clean product images with the PyTorch tower")
    lap("clean vectors", t)

    # photo-like views of the train products
    t = time.time()
    cache_file = render_cache(cat, train_rows, cat.hashes["train"]) if use_render_cache else None
    if cache_file:
        renders = np.load(cache_file, mmap_mode="r")
        if len(renders) != len(train_rows):
            raise RuntimeError(f"{cache_file} holds {len(renders)} renders, not {len(train_rows)}")
        log(f"train renders from {os.path.relpath(cache_file, ROOT)}")
    else:
        renders = letterboxed(catalog, [cat.items[i] for i in train_rows])
        log(f"train renders: {len(renders)} catalogue images letterboxed to 32 px")
    if image_onnx and os.path.isfile(image_onnx) and node_available():
        parity["tower"] = tower_parity(tower, image_onnx, np.asarray(renders[:256]), s.seed)
        log(f"PyTorch tower against {IMAGE_MODEL} on onnxruntime, 256 augmented views: {parity['tower']}")
        if parity["tower"]["minCosine"] < 0.9999:
            raise RuntimeError(f"the checkpoint's image tower is not the served {IMAGE_MODEL}: {parity['tower']}")
    else:
        parity["tower"] = None
        log("no tower parity check (no ONNX image model or no onnxruntime-node)")
    views: Dict[float, np.ndarray] = {}
    tower_key = hashlib.sha256(b"".join(v.detach().numpy().tobytes() for v in tower.state_dict().values())).hexdigest()[:12]
    for k, strength in enumerate(s.strengths):
        key = hashlib.sha256(f"{cat.hashes['train']}|{tower_key}|{strength}|{s.seed + k}|{len(renders)}|{cache_file}".encode()).hexdigest()[:16]
        cached = os.path.join(embedding_cache, f"attribute-views-{key}.npy") if embedding_cache else None
        if cached and os.path.isfile(cached):
            views[strength] = np.load(cached)
            log(f"augmented views at strength {strength} from {os.path.relpath(cached, ROOT)}")
            continue
        tv = time.time()
        views[strength] = embed(tower, renders, strength=strength, seed=s.seed + k)
        log(f"embedded {len(renders)} augmented train views at strength {strength} in {time.time() - tv:.0f} s")
        if cached:
            os.makedirs(embedding_cache, exist_ok=True)
            np.save(cached, views[strength])
    lap("augmented views", t)

    # validation query sets
    t = time.time()
    photos = read_photos(cat, photos_file)
    val_sets: Dict[str, Tuple[np.ndarray, np.ndarray]] = {"clean": (clean[val_rows], y_all[val_rows])}
    if photos is not None and len(photos.ids):
        if models_dir and node_available():
            px = ort_embed_images(models_dir, photos.paths)
            from PIL import Image

            from .imaging import letterbox

            mine = embed(tower, np.stack([letterbox(Image.open(p), 32) for p in photos.paths]))
            cos = (px * mine).sum(1)
            parity["photos"] = {"photos": len(px), "embeddedBy": "onnxruntime-node with sharp (the server's path)",
                                "pytorchWithPillowMinCosine": float(cos.min()), "pytorchWithPillowMeanCosine": float(cos.mean())}
        else:
            from PIL import Image

            from .imaging import letterbox

            px = embed(tower, np.stack([letterbox(Image.open(p), 32) for p in photos.paths]))
            parity["photos"] = {"photos": len(px), "embeddedBy": "PyTorch tower, Pillow letterbox"}
        val_sets["photos"] = (px.astype(np.float32), y_all[photos.product_rows])
        log(f"{len(px)} validation photos embedded ({parity['photos']})")
    lap("validation photos", t)

    # training sets, chosen on validation: clean vectors plus which augmented views
    x_train_clean, y_train = clean[train_rows], y_all[train_rows]

    def training_set(strengths: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
        xs = [x_train_clean] + [views[v] for v in strengths]
        return np.concatenate(xs).astype(np.float32), np.concatenate([y_train] * len(xs))

    t = time.time()
    mid = s.hidden[len(s.hidden) // 2]
    mixes = [()] + [(v,) for v in s.strengths] + ([tuple(s.strengths)] if len(s.strengths) > 1 else [])
    mix_trials, mix_heads = [], {}
    for mix in mixes:
        x, y = training_set(mix)
        log(f"views {list(mix) or 'none'} ({len(x)} examples), hidden {mid}")
        mix_heads[mix], info = train_heads(sizes, mid, x, y, val_sets, s)
        mix_trials.append({"views": list(mix), **info})
    best_mix = max(mix_trials, key=lambda r: r["bestScore"])
    chosen = tuple(best_mix["views"])
    log(f"views chosen on validation: {list(chosen)} (score {best_mix['bestScore']:.4f})")
    lap("choice of views", t)

    t = time.time()
    x, y = training_set(chosen)
    size_trials, best_heads, best_info = [], None, None
    for hidden in s.hidden:
        if hidden == mid:  # trained while choosing the views
            h, info = mix_heads[chosen], {k: v for k, v in best_mix.items() if k != "views"}
        else:
            log(f"hidden {hidden}, views {list(chosen)}")
            h, info = train_heads(sizes, hidden, x, y, val_sets, s)
        size_trials.append(info)
        if best_info is None or info["bestScore"] > best_info["bestScore"]:
            best_heads, best_info = h, info
    del mix_heads
    log(f"head size chosen on validation: hidden {best_info['hidden']}, epoch {best_info['bestEpoch']} "
        f"(score {best_info['bestScore']:.4f})")
    lap("choice of head size", t)

    # calibration
    t = time.time()
    temps, table = calibrate(best_heads, val_sets, s.ece_bins)
    model = CalibratedAttributes(best_heads, temps).eval()
    probs = {q: [tt.numpy().astype(np.float64) for tt in _probs(model, xq)] for q, (xq, _y) in val_sets.items()}
    labels = {q: yq for q, (_x, yq) in val_sets.items()}
    lap("calibration", t)

    # category fusion for image queries: gallery = the train products' clean vectors
    t = time.time()
    c = names.index("category") if "category" in names else 0
    cat_name = names[c]
    g_keep = y_train[:, c] >= 0
    gallery, gallery_labels = x_train_clean[g_keep], y_train[g_keep, c]
    k_max = max(s.ks)
    votes, cls, lab = {}, {}, {}
    for q, (xq, yq) in val_sets.items():
        keep = yq[:, c] >= 0
        votes[q] = knn_votes(xq[keep], gallery, gallery_labels, k_max)
        cls[q] = probs[q][c][keep]
        lab[q] = yq[keep, c]
    fusion = {"attribute": cat_name, **tune_fusion(cls, votes, lab, sizes[cat_name], s)}
    log(f"category fusion: K {fusion['k']}, W {fusion['w']}, F {fusion['f']:.4f}; {fusion['sets']}")
    lap("category fusion", t)

    m, per_m = min_confidence(probs, labels, names, "clean", s)
    log(f"minimum confidence M {m:.4f}")

    # export
    t = time.time()
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    export_onnx(model, onnx_path)
    parity["heads"] = onnx_parity(model, onnx_path, val_sets["clean"][0][:512])
    log(f"ONNX heads against PyTorch: {parity['heads']}")
    if max(v for k, v in parity["heads"].items() if k != "inputs") > 1e-4:
        raise RuntimeError(f"the exported heads disagree with PyTorch: {parity['heads']}")
    lap("export", t)

    validation = {
        "attributes": table,
        "categoryFusion": {k: fusion[k] for k in ("k", "w", "f", "sets")},
        "minConfidence": {"m": m, "attributes": per_m},
    }
    metrics = {"validation": _compact_metrics(table, fusion, m, per_m)}
    hyper = {"hidden": best_info["hidden"], "epochs": best_info["bestEpoch"], "views": best_mix["views"],
             "temperatures": {n: round(tt, 4) for n, tt in zip(names, temps)}, "settings": s.to_dict()}
    entry = manifest_entry(names, heads_values, fusion, m, cat.hashes, metrics, hyper,
                           os.path.relpath(os.path.abspath(catalog), ROOT))
    with open(os.path.join(out_dir, "model.json"), "w", encoding="utf-8") as f:
        json.dump(own_description(entry), f, indent=2, ensure_ascii=False)
    if manifest:
        write_manifest_entry(manifest, entry)
        log(f"manifest entry written to {manifest}")
    timings["total"] = round(time.time() - started, 1)
    report = {"model": MODEL_NAME, "catalog": entry["trainingData"], "products": {"train": len(train_rows), "validation": len(val_rows)},
              "testProductsDropped": cat.skipped_test, "readStoppedAtFirstTestProduct": cat.stopped_at_test,
              "heads": heads_values, "attributesWithoutHead": no_head, "renderCache": cache_file and os.path.relpath(cache_file, ROOT),
              "photos": len(photos.ids) if photos else 0, "parity": parity, "viewTrials": mix_trials,
              "sizeTrials": size_trials, "validation": validation, "fusionGrid": fusion["grid"], "seconds": timings,
              "settings": s.to_dict()}
    with open(os.path.join(out_dir, REPORT_FILE), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    with open(os.path.join(out_dir, "validation.md"), "w", encoding="utf-8") as f:
        f.write(validation_markdown(report))
    log(f"done in {timings['total']} s: {json.dumps(timings)}")
    return report


@torch.no_grad()
def _probs(model: CalibratedAttributes, x: np.ndarray, batch: int = 8192) -> List[torch.Tensor]:
    parts = [model(torch.from_numpy(x[s: s + batch])) for s in range(0, len(x), batch)]
    return [torch.cat([p[h] for p in parts]) for h in range(len(model.names))]


def _compact_metrics(table: dict, fusion: dict, m: float, per_m: dict) -> dict:
    out = {}
    for name, row in table.items():
        r = {"temperature": row["temperature"]}
        for q in ("clean", "photos"):
            if q in row:
                r[q] = {k: row[q][k] for k in ("accuracy", "majority", "eceBefore", "eceAfter")}
                r[q]["coverageAboveM"] = per_m[name][q]["coverageAboveM"]
                r[q]["precisionAboveM"] = per_m[name][q]["precisionAboveM"]
        out[name] = r
    out["categoryFusion"] = {q: {k: v[k] for k in ("n", "classifierAccuracy", "knnAccuracy", "accuracy",
                                                   "precisionAboveF", "coverageAboveF")}
                             for q, v in fusion["sets"].items()}
    return out


def _f(v, d: int = 3) -> str:
    return "-" if v is None else f"{v:.{d}f}"


def validation_markdown(report: dict) -> str:
    """The validation tables of a run (models/README.md, "Attributes from pictures")."""
    v = report["validation"]
    sets = [q for q in ("clean", "photos") if any(q in row for row in v["attributes"].values())]
    names = {"clean": "clean", "photos": "photos"}
    head = "| attribute | values | T |" + "".join(
        f" {names[q]}: accuracy (majority) | {names[q]}: ECE before / after | {names[q]}: above M (precision) |" for q in sets)
    lines = [head, "| --- | ---: | ---: |" + " ---: | ---: | ---: |" * len(sets)]
    m = v["minConfidence"]
    for name, row in v["attributes"].items():
        cells = [f"`{name}`", str(len(report["heads"][name])), _f(row["temperature"], 2)]
        for q in sets:
            r, a = row[q], m["attributes"][name][q]
            cells += [f"{_f(r['accuracy'])} ({_f(r['majority'])})", f"{_f(r['eceBefore'])} / {_f(r['eceAfter'])}",
                      f"{100 * a['coverageAboveM']:.1f}% ({_f(a['precisionAboveM'])})"]
        lines.append("| " + " | ".join(cells) + " |")
    fu = v["categoryFusion"]
    lines += ["", f"Category of an image query, K = {fu['k']}, W = {fu['w']}, F = {fu['f']:.4f}:", "",
              "| query set | queries | classifier | k-NN | fused | above F | precision above F | F for 99% on this set |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for q, r in fu["sets"].items():
        lines.append(f"| {names.get(q, q)} | {r['n']} | {_f(r['classifierAccuracy'])} | {_f(r['knnAccuracy'])} | "
                     f"{_f(r['accuracy'])} | {100 * r['coverageAboveF']:.1f}% | {_f(r['precisionAboveF'])} | "
                     f"{_f(r['threshold'], 4)} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", default=os.path.join(ROOT, "data", "catalog"))
    ap.add_argument("--store", default=os.path.join(ROOT, "data", "bench-scale", "full", "catalog.sqlite"),
                    help="a store whose image vectors are the clean vectors ('none': embed the images here)")
    ap.add_argument("--checkpoint", default=os.path.join(CACHE_DIR, "checkpoint-full"),
                    help="training checkpoint holding the image tower (PATH.npz + PATH.json)")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"),
                    help="models folder with the served fashion-image (for parity and the photos' embeddings)")
    ap.add_argument("--out", default=None, help="default MODELS/fashion-attributes")
    ap.add_argument("--manifest", default=None, help="manifest to add the entry to (default MODELS/manifest.json; 'none')")
    ap.add_argument("--photos", default=None,
                    help="validation photos, JSON lines (default CATALOG/queries/realshot-indist-validation.jsonl)")
    ap.add_argument("--profile", default="full", choices=("full", "smoke"))
    ap.add_argument("--no-render-cache", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    s = settings_for(args.profile)
    store = None if args.store in ("", "none") else args.store
    out = args.out or os.path.join(args.models, MODEL_NAME)
    manifest = None if args.manifest == "none" else (args.manifest or os.path.join(args.models, "manifest.json"))
    photos = args.photos or os.path.join(args.catalog, "queries", "realshot-indist-validation.jsonl")
    tower = load_tower(args.checkpoint)
    return run(args.catalog, out, s, store=store, tower=tower, models_dir=args.models, manifest=manifest,
               photos_file=photos, use_render_cache=not args.no_render_cache, embedding_cache=CACHE_DIR)


if __name__ == "__main__":
    main()

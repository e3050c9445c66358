"""Per-item features the server computes from a stored product without Python.

An item is the concatenation of one block per attribute in FEATURE_ATTRIBUTES; each block is a
multi-hot vector over that attribute's vocabulary (sorted values read from the catalogue and frozen
into model.json). Values outside the vocabulary contribute nothing. An outfit is a
[MAX_ITEMS, dim] matrix plus a [MAX_ITEMS] mask (1 for an item, 0 for padding).
"""

from __future__ import annotations

import json
from typing import Iterable

import numpy as np

FEATURE_ATTRIBUTES = ("group", "colorFamily", "color", "pattern", "material", "occasion", "season", "gender")
MAX_ITEMS = 4


def build_vocabulary(products: Iterable[dict]) -> dict[str, list[str]]:
    values: dict[str, set[str]] = {a: set() for a in FEATURE_ATTRIBUTES}
    for p in products:
        attrs = p.get("attributes", {})
        for a in FEATURE_ATTRIBUTES:
            values[a].update(attrs.get(a, []))
    return {a: sorted(values[a]) for a in FEATURE_ATTRIBUTES}


class FeatureSpace:
    def __init__(self, vocabulary: dict[str, list[str]]):
        missing = [a for a in FEATURE_ATTRIBUTES if a not in vocabulary]
        if missing:
            raise ValueError(f"vocabulary lacks attributes: {', '.join(missing)}")
        self.vocabulary = {a: list(vocabulary[a]) for a in FEATURE_ATTRIBUTES}
        self.offsets: dict[str, int] = {}
        self.index: dict[str, dict[str, int]] = {}
        off = 0
        for a in FEATURE_ATTRIBUTES:
            self.offsets[a] = off
            self.index[a] = {v: i for i, v in enumerate(self.vocabulary[a])}
            off += len(self.vocabulary[a])
        self.dim = off

    def item(self, product: dict) -> np.ndarray:
        x = np.zeros(self.dim, dtype=np.float32)
        attrs = product.get("attributes", {})
        for a in FEATURE_ATTRIBUTES:
            for v in attrs.get(a, []):
                j = self.index[a].get(v)
                if j is not None:
                    x[self.offsets[a] + j] = 1.0
        return x

    def outfit(self, products: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        if not 1 <= len(products) <= MAX_ITEMS:
            raise ValueError(f"an outfit holds 1 to {MAX_ITEMS} items (got {len(products)})")
        x = np.zeros((MAX_ITEMS, self.dim), dtype=np.float32)
        m = np.zeros(MAX_ITEMS, dtype=np.float32)
        for i, p in enumerate(products):
            x[i] = self.item(p)
            m[i] = 1.0
        return x, m

    def batch(self, outfits: list[list[dict]]) -> tuple[np.ndarray, np.ndarray]:
        xs = np.zeros((len(outfits), MAX_ITEMS, self.dim), dtype=np.float32)
        ms = np.zeros((len(outfits), MAX_ITEMS), dtype=np.float32)
        for i, o in enumerate(outfits):
            xs[i], ms[i] = self.outfit(o)
        return xs, ms

    def to_json(self) -> dict:
        return {
            "attributes": [{"name": a, "offset": self.offsets[a], "values": self.vocabulary[a]} for a in FEATURE_ATTRIBUTES],
            "dim": self.dim,
            "maxItems": MAX_ITEMS,
        }


def load_products(path: str, ids: set[str] | None = None) -> dict[str, dict]:
    """Products of a products.jsonl by id (only `ids` when given)."""
    out: dict[str, dict] = {}
    with open(path, encoding="utf8") as f:
        for line in f:
            if not line.strip():
                continue
            if ids is not None:
                # the id is the first key of every line; skip unreferenced products without parsing
                start = line.find('"id":"') + 6
                pid = line[start:line.find('"', start)]
                if pid not in ids:
                    continue
            p = json.loads(line)
            out[p["id"]] = p
    return out

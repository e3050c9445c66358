"""Inputs of the server's query lexicon, taken from the train split, and the step that builds it.

The search service's query understanding reads models/fashion-lexicon/lexicon.json, which
`npm run lexicon` (src/cli/lexicon.ts) builds from the catalogue's product texts and the colour
each colour value shows in the product images. Both inputs come from the train split only, like
every other learnt thing, so that no validation or test wording or image reaches the lexicon:

- `write_lexicon_products`: one JSON line {"title", "description", "brand", "attributes"} per
  train product, data/training-cache/lexicon-products-<profile>.jsonl;
- `write_colour_anchors`: colour value -> [r, g, b], the median sRGB of the garment pixels of up to
  100 solid train products of that colour, data/training-cache/lexicon-colour-anchors-<profile>.json;
- `build_lexicon`: runs `npm run lexicon` on those files, from the repository root.
"""
from __future__ import annotations

import json
import os
import subprocess
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from seed.generator import fashion_mnist
from seed.generator.render import render_layers
from seed.generator.vocab import COLORS

from .data import CACHE_DIR, ROOT

PRODUCT_FIELDS = ("title", "description", "brand", "attributes")
ANCHOR_PRODUCTS = 100  # solid products per colour whose medians are combined
ANCHOR_SIZE = 32       # render size, the models' input size
GARMENT_ALPHA = 0.9    # pixels with a higher garment alpha count as garment (no blend with the white background)
LEXICON_DIR = "fashion-lexicon"
# About what `npm run lexicon` takes (most of it reading the GloVe vectors): a run with a time
# budget keeps this much of it for the step.
EXPECTED_SECONDS = 180.0


def _train_only(products: Sequence[dict]) -> None:
    bad = sorted({p.get("split") for p in products} - {"train"}, key=str)
    if bad:
        raise ValueError(f"the query lexicon is built from train-split products only, got split(s) {bad}")


def lexicon_products_path(profile: str, cache_dir: Optional[str] = None) -> str:
    return os.path.join(cache_dir or CACHE_DIR, f"lexicon-products-{profile}.jsonl")


def colour_anchors_path(profile: str, cache_dir: Optional[str] = None) -> str:
    return os.path.join(cache_dir or CACHE_DIR, f"lexicon-colour-anchors-{profile}.json")


def write_lexicon_products(products: Sequence[dict], profile: str, cache_dir: Optional[str] = None) -> str:
    """Writes the train products' texts and attributes as JSON lines (UTF-8, one product a line, in
    catalogue order), the input `npm run lexicon -- --products` reads; returns the path."""
    _train_only(products)
    path = lexicon_products_path(profile, cache_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for p in products:
            f.write(json.dumps({k: p[k] for k in PRODUCT_FIELDS}, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def colour_anchors(products: Sequence[dict], per_colour: int = ANCHOR_PRODUCTS,
                   size: int = ANCHOR_SIZE) -> Dict[str, List[int]]:
    """Colour value -> [r, g, b]: for the first `per_colour` products of that colour with pattern
    "solid" (catalogue order), the median sRGB of each one's garment pixels (render_layers at
    `size` px, alpha > GARMENT_ALPHA), then the median of those per channel, rounded. The colour a
    value shows in the images, material shading included; values without a solid product are left
    out."""
    _train_only(products)
    chosen: Dict[str, List[dict]] = {c: [] for c in COLORS}
    for p in products:
        a = p["attributes"]
        if a["pattern"] == ["solid"] and len(chosen[a["color"][0]]) < per_colour:
            chosen[a["color"][0]].append(p)
    out: Dict[str, List[int]] = {}
    for colour, prods in chosen.items():
        medians = []
        for p in prods:
            spec = p["render"]
            rgb, alpha = render_layers(fashion_mnist.load_split(spec["source"])[0][spec["index"]], spec, size)
            garment = alpha > GARMENT_ALPHA
            if garment.any():
                medians.append(np.median(rgb[garment], axis=0))
        if medians:
            out[colour] = [int(round(float(v))) for v in np.median(np.stack(medians), axis=0)]
    return out


def write_colour_anchors(products: Sequence[dict], profile: str, cache_dir: Optional[str] = None) -> str:
    """Writes colour_anchors() as one JSON object (the input `npm run lexicon -- --colour-anchors`
    reads); returns the path."""
    path = colour_anchors_path(profile, cache_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(colour_anchors(products), f, indent=1)
        f.write("\n")
    return path


def lexicon_command(products_path: str, anchors_path: str, out_dir: str, data_hash: str, profile: str) -> List[str]:
    """The npm command line that builds <out_dir>/fashion-lexicon/lexicon.json."""
    return ["npm", "run", "lexicon", "--", "--products", os.path.abspath(products_path),
            "--colour-anchors", os.path.abspath(anchors_path),
            "--out", os.path.abspath(os.path.join(out_dir, LEXICON_DIR)), "--data-hash", data_hash,
            "--catalog", f"seed:{profile}/train"]


def run_npm(command: List[str], cwd: str) -> int:
    """Runs a command (npm) in `cwd` with the output passed through; its exit status (127 when the
    program is not found)."""
    try:
        return subprocess.run(command, cwd=cwd).returncode
    except FileNotFoundError:
        return 127


def build_lexicon(out_dir: str, profile: str, products: Sequence[dict], data_hash: str,
                  log: Callable[[str], None], cache_dir: Optional[str] = None) -> str:
    """Writes the two inputs from the train products (into `cache_dir`, default
    data/training-cache), runs `npm run lexicon` from the repository root and returns the lexicon file; raises RuntimeError, naming the command, when npm fails or
    writes no lexicon."""
    products_path = write_lexicon_products(products, profile, cache_dir)
    anchors_path = write_colour_anchors(products, profile, cache_dir)
    command = lexicon_command(products_path, anchors_path, out_dir, data_hash, profile)
    log(f"building the query lexicon from {len(products)} train products: {' '.join(command)}")
    status = run_npm(command, ROOT)
    target = os.path.join(out_dir, LEXICON_DIR, "lexicon.json")
    if status != 0:
        raise RuntimeError(f"the query lexicon step failed: `{' '.join(command)}` exited with status {status}"
                           + (" (npm not found)" if status == 127 else "")
                           + "; fix it and rerun, or pass --no-lexicon to skip the step")
    if not os.path.isfile(target):
        raise RuntimeError(f"the query lexicon step wrote no {target} (`{' '.join(command)}`)")
    log(f"query lexicon written to {target}")
    return target

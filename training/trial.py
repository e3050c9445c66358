"""Quick trials of the contrastive stage (c): train the two towers from scratch on part of the
train split with one or more config variants, then measure on rendered test-split products
what the stage decides: colour+category P@10 of text queries against the image gallery, and R@1
of photo-style views of those products against their clean renders.

    /usr/bin/python3 -m training.trial --styles 0 --epochs 8 \\
        --variant '{}' --variant '{"instance_target": "clean"}'

A variant is a JSON object of Config fields. Runs on CUDA when present. No masked-LM
pre-training, no later stages: the numbers compare variants with each other, not with the full
pipeline's.
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from typing import Dict, List, Optional

import numpy as np
import torch

from seed.generator.catalog import build_catalog
from seed.generator.vocab import CATEGORY_WORDS

from . import augment, train
from .config import Config, for_profile
from .data import load_train_data, render_all
from .models import ImageCNN, TextTransformer
from .tokenizer import train_wordpiece


def test_gallery(profile: str, products: int, size: int):
    """Rendered test-split products and the products relevant to each colour+category query."""
    test = build_catalog(profile).products_of("test")[:products]
    images = torch.from_numpy(render_all(test, size, 2, train.log))
    rel: Dict[str, set] = {}
    for j, p in enumerate(test):
        a = p["attributes"]
        rel.setdefault(f"{a['color'][0]} {CATEGORY_WORDS[a['category'][0]][0]}", set()).add(j)
    return images, rel


@torch.no_grad()
def measure(text_model, image_model, images: torch.Tensor, rel: Dict[str, set], min_rel: int) -> dict:
    gal = train.embed_images(image_model, images)
    queries = [q for q, r in rel.items() if len(r) >= min_rel]
    out: dict = {"queries": len(queries)}
    if queries:
        text_model.eval()
        top = (train.embed_texts(text_model, train.BATCHER, queries) @ gal.t()).topk(10, dim=1).indices.cpu().numpy()
        p10 = [float(np.mean([j in rel[q] for j in row])) for q, row in zip(queries, top)]
        out["colour_category_p@10"] = round(float(np.mean(p10)), 4)
    g = torch.Generator().manual_seed(0)
    image_model.eval()
    photos = torch.cat([image_model(train.channels_last(augment.augment(images[s: s + 2048], g)))
                        for s in range(0, len(images), 2048)])
    hits = (photos @ gal.t()).argmax(1).cpu() == torch.arange(len(images))
    out["photo_r@1"] = round(float(hits.float().mean()), 4)
    return out


def main(argv: Optional[List[str]] = None) -> List[dict]:
    ap = argparse.ArgumentParser(description="Compare config variants of the contrastive stage.")
    ap.add_argument("--profile", default="full", choices=["full", "smoke"])
    ap.add_argument("--styles", type=int, default=20000, help="train styles used")
    ap.add_argument("--epochs", type=int, default=4, help="contrastive epochs per variant")
    ap.add_argument("--test-products", type=int, default=10000)
    ap.add_argument("--min-relevant", type=int, default=10, help="relevant products a query needs")
    ap.add_argument("--variant", action="append", default=[], help="JSON object of Config fields")
    ap.add_argument("--out", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    dev = train.device()
    base = for_profile(args.profile)
    base.max_styles, base.clip_epochs = args.styles, args.epochs
    variants = [json.loads(v) for v in args.variant] or [{}]
    for v in variants:
        unknown = set(v) - set(Config.__dataclass_fields__)
        if unknown:
            raise SystemExit(f"unknown Config fields in variant {v}: {sorted(unknown)}")
    data = load_train_data(base, train.log)
    images, rel = test_gallery(args.profile, args.test_products, base.size)
    images = images.to(dev)
    tok = train_wordpiece(data.corpus[: base.tokenizer_samples or None], vocab_size=base.vocab_size,
                          max_length=base.max_length)
    train.BATCHER = train.Batcher(tok, dev)
    train_images = torch.from_numpy(data.images).to(dev)
    styles = np.arange(len(data.style_products))
    results = []
    for v in variants:
        cfg = copy.deepcopy(base)
        for k, x in v.items():
            setattr(cfg, k, x)
        rng = train.seed_everything(cfg.seed)
        text_model = TextTransformer(len(tok), d=cfg.d_model, layers=cfg.layers, heads=cfg.heads, ff=cfg.ff,
                                     max_len=cfg.max_length, dropout=cfg.dropout).to(dev)
        image_model = ImageCNN(size=cfg.size, width=cfg.image_width).to(dev).to(memory_format=torch.channels_last)
        t0 = time.time()
        loss = train.train_clip(text_model, image_model, data, tok, cfg, dev, rng, train_images, styles)
        row = {"variant": v, "seconds": round(time.time() - t0), "loss": round(loss, 4),
               **measure(text_model, image_model, images, rel, args.min_relevant)}
        print(json.dumps(row), flush=True)
        results.append(row)
        if args.out:
            write(args, results)
    print("\n| variant | seconds | colour+category P@10 | photo R@1 |\n| --- | --- | --- | --- |")
    for r in results:
        print(f"| `{json.dumps(r['variant'])}` | {r['seconds']} | {r.get('colour_category_p@10', '-')} | {r['photo_r@1']} |")
    return results


def write(args, results: List[dict]) -> None:
    """The results so far (written after every variant, so a cut-off run keeps what it did)."""
    with open(args.out, "w") as f:
        json.dump({"styles": args.styles, "epochs": args.epochs, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

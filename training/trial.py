"""Quick trials of the contrastive stage (c): train the two towers from scratch on part of the
train split with one or more config variants, then measure on the validation split what the stage
decides: colour+category P@10 of text queries against the image gallery of rendered validation
products, R@1 and R@10 of the validation split's held-out-family real-shot photos (photographed
and resized as the server sees them) against that gallery, and R@1 of photo-style augmented views
of the gallery products against their clean renders.

    /usr/bin/python3 -m training.trial --styles 0 --epochs 8 \\
        --variant '{}' --variant '{"instance_target": "clean"}'

A variant is a JSON object of Config fields. Runs on CUDA when present. No masked-LM
pre-training, no later stages: the numbers compare variants with each other, not with the full
pipeline's. The catalogue is built with the train and validation splits only
(training.data.build_training_catalogue): trials, like every choice, never see the test split.
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from typing import Dict, List, Optional

import numpy as np
import torch

from seed.generator.vocab import CATEGORY_WORDS

from . import augment, train
from .config import Config, for_profile
from .data import ValidationData, load_train_data
from .metrics import precision_at, recall_at, top_k
from .models import ImageCNN, TextTransformer
from .tokenizer import train_wordpiece


def validation_gallery(val: ValidationData, products: int) -> dict:
    """The first `products` validation products (0: all of them) as the gallery: their renders, the
    gallery products relevant to each plain colour+category query ("red shirt"), and the real-shot
    photos of gallery products with the product each shows."""
    n = len(val.products) if products <= 0 else min(products, len(val.products))
    rel: Dict[str, set] = {}
    for j, p in enumerate(val.products[:n]):
        a = p["attributes"]
        rel.setdefault(f"{a['color'][0]} {CATEGORY_WORDS[a['category'][0]][0]}", set()).add(j)
    keep = val.photo_products < n
    return {"images": torch.from_numpy(val.images[:n]), "relevant": rel,
            "photos": torch.from_numpy(val.photos[keep]), "photo_products": val.photo_products[keep]}


@torch.no_grad()
def measure(text_model, image_model, bat, gallery: dict, min_rel: int, dev) -> dict:
    """Colour+category P@10 of the queries with at least `min_rel` relevant gallery products,
    real-shot R@1 and R@10, and R@1 of one seeded augmented view of each gallery product."""
    images = gallery["images"].to(dev)
    gal = train.embed_images(image_model, images)
    rel = gallery["relevant"]
    queries = [q for q, r in rel.items() if len(r) >= min_rel]
    out: dict = {"queries": len(queries)}
    if queries:
        top = top_k(train.embed_texts(text_model, bat, queries), gal, 10)
        out["colour_category_p@10"] = round(precision_at(top, [rel[q] for q in queries], 10), 4)
    out["photos"] = int(len(gallery["photos"]))
    if len(gallery["photos"]):
        top = top_k(train.embed_images(image_model, gallery["photos"].to(dev)), gal, 10)
        own = [{int(p)} for p in gallery["photo_products"]]
        out["realshot_r@1"] = round(recall_at(top, own, 1), 4)
        out["realshot_r@10"] = round(recall_at(top, own, 10), 4)
    g = torch.Generator().manual_seed(0)
    image_model.eval()
    views = torch.cat([image_model(train.channels_last(augment.augment(images[s: s + 2048], g)))
                       for s in range(0, len(images), 2048)])
    out["augmented_r@1"] = round(float((top_k(views, gal, 1)[:, 0] == np.arange(len(images))).mean()), 4)
    return out


def main(argv: Optional[List[str]] = None) -> List[dict]:
    ap = argparse.ArgumentParser(description="Compare config variants of the contrastive stage.")
    ap.add_argument("--profile", default="full", choices=["full", "smoke"])
    ap.add_argument("--styles", type=int, default=20000, help="train styles used")
    ap.add_argument("--epochs", type=int, default=4, help="contrastive epochs per variant")
    ap.add_argument("--validation-products", type=int, default=0,
                    help="gallery: the first N validation products (0: all; the full profile has 25,000)")
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
    gallery = validation_gallery(data.validation, args.validation_products)
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
               **measure(text_model, image_model, train.BATCHER, gallery, args.min_relevant, dev)}
        print(json.dumps(row), flush=True)
        results.append(row)
        if args.out:
            write(args, results)
    print("\n| variant | seconds | colour+category P@10 | real-shot R@1 | real-shot R@10 | augmented-view R@1 |\n"
          "| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| `{json.dumps(r['variant'])}` | {r['seconds']} | {r.get('colour_category_p@10', '-')} | "
              f"{r.get('realshot_r@1', '-')} | {r.get('realshot_r@10', '-')} | {r['augmented_r@1']} |")
    return results


def write(args, results: List[dict]) -> None:
    """The results so far (written after every variant, so a cut-off run keeps what it did)."""
    with open(args.out, "w") as f:
        json.dump({"styles": args.styles, "epochs": args.epochs, "split": "validation",
                   "validationProducts": args.validation_products, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()

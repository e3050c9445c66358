"""The category of a picture from its pixels: a classifier that starts from the image tower's
convolutions (models/fashion-image, the training checkpoint) and is fine-tuned for the catalogue's
categories with cross-entropy, so image queries and products get their category from the picture
itself rather than from the 128-d embedding alone (whose category heads reach 0.87 on clean renders
and 0.70 on photos). The server fuses it with the attributes model's category head and the
neighbours' categories (src/attributes/category-prediction.ts).

    /usr/bin/python3 -m training.category            # npm run train:category

Input `pixel_values` float32 [batch, 3, 32, 32], preprocessed exactly as fashion-image's (the
manifest's preprocessing block is copied); output `probabilities` float32 [batch, categories], the
temperature chosen on validation baked in. Writes models/fashion-category/ (model.onnx,
training-report.json, validation.md) and the manifest entry (role `category`, which the encoders skip)
without `categoryFusion`: how image queries mix it with the category head and the neighbours (a, W, F)
is chosen next, on validation through the server's own code, by
`npm run eval:attributes -- --split validation --write-fusion`; the server leaves the model off until then.

Splits (the seed's rule, as training/attributes.py):
- train: every gradient: the train products' pictures letterboxed to 32 px on white as the server
  does (Pillow; `--variants` products per style), each batch put through training/augment.py (the
  in-distribution photo degradations, never the held-out real-shot family), and a grey version of
  10% of them (black-and-white photos).
- validation: every choice (the epoch, the temperature) and the reported numbers: the validation
  products' pictures ("clean", every k-th up to --validation-products) and the validation split's
  in-distribution real-shot photos ("photos"). The held-out photo family and the test split are never
  read (ForbiddenSplitError); Fashion-MNIST's files are not opened. `npm run eval:attributes`
  measures the test split, the held-out family and Fashion-MNIST's own images.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import augment
from .attributes import CACHE_DIR, IMAGE_MODEL, ROOT, Catalogue, letterboxed, load_tower, read_catalogue, read_photos
from .calibration import ece, fit_temperature, softmax

MODEL_NAME = "fashion-category"
MODEL_VERSION = "1.0.0"
ATTRIBUTE = "category"
GREY_SHARE = 0.1

T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


class CategoryNet(nn.Module):
    """The image tower's convolutions, then a classifier on the 4x4 map and the pooled features."""

    def __init__(self, features: nn.Module, channels: int, classes: int, hidden: int = 256, dropout: float = 0.2):
        super().__init__()
        self.features = features
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(channels * 16, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.out = nn.Linear(hidden + channels, classes)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        f = self.features(pixel_values)
        return self.out(torch.cat([self.head(f), f.mean(dim=(2, 3))], dim=1))


class Calibrated(nn.Module):
    """Probabilities: softmax(logits / T)."""

    def __init__(self, net: CategoryNet, temperature: float):
        super().__init__()
        self.net = net
        self.register_buffer("inv_t", torch.tensor(1.0 / temperature))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(pixel_values) * self.inv_t, dim=1)


def variant_of(product_id: str) -> int:
    tail = product_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def cached_images(cat: Catalogue, rows: Sequence[int], tag: str, cache_dir: Optional[str]) -> np.ndarray:
    """uint8 [N, 32, 32, 3] pictures of cat.items[rows], letterboxed as the server does; cached by ids
    in cache_dir (None: not cached)."""
    if cache_dir is None:
        return letterboxed(cat.directory, [cat.items[i] for i in rows])
    key = hashlib.sha256("|".join(cat.items[i].id for i in rows).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f"category-{tag}-{key}.npy")
    if os.path.isfile(path):
        return np.load(path, mmap_mode="r")
    images = letterboxed(cat.directory, [cat.items[i] for i in rows])
    os.makedirs(cache_dir, exist_ok=True)
    np.save(path, images)
    return images


def photo_images(paths: Sequence[str]) -> np.ndarray:
    from PIL import Image

    from .imaging import letterbox

    return np.stack([letterbox(Image.open(p), 32) for p in paths])


def grey(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A share of the normalised batch turned grey (luma), as black-and-white photos are."""
    pick = (torch.rand(x.shape[0], generator=g) < GREY_SHARE).view(-1, 1, 1, 1)
    luma = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).expand_as(x)
    return torch.where(pick, luma, x)


@torch.no_grad()
def logits_of(net: nn.Module, images: np.ndarray, batch: int = 1024) -> np.ndarray:
    net.eval()
    if len(images) == 0:
        return np.zeros((0, net.out.out_features), dtype=np.float32)
    out = []
    for s in range(0, len(images), batch):
        x = augment.preprocess(torch.from_numpy(np.array(images[s: s + batch])))
        out.append(net(x.contiguous(memory_format=torch.channels_last)).numpy())
    return np.concatenate(out)


def main(argv: Optional[List[str]] = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", default=os.path.join(ROOT, "data", "catalog"))
    ap.add_argument("--checkpoint", default=os.path.join(CACHE_DIR, "checkpoint-full"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models", MODEL_NAME))
    ap.add_argument("--manifest", default=os.path.join(ROOT, "models", "manifest.json"), help="'none': leave it")
    ap.add_argument("--variants", type=int, default=3, help="train products per style")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--per-epoch", type=int, default=60000, help="augmented pictures per epoch")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--validation-products", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--attribute", default=ATTRIBUTE, help="the attribute to classify")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return run(args, load_tower(args.checkpoint), CACHE_DIR)


def run(args: argparse.Namespace, tower: nn.Module, cache_dir: Optional[str]) -> dict:
    """Trains, calibrates and exports the model for main's arguments, from `tower`'s convolutions."""
    torch.manual_seed(args.seed)
    attribute = args.attribute
    cat = read_catalogue(args.catalog)
    train_rows = [i for i in cat.split("train") if variant_of(cat.items[i].id) < args.variants]
    val_all = cat.split("validation")
    val_rows = val_all[:: max(1, len(val_all) // args.validation_products)][: args.validation_products]
    labels_list = sorted({cat.items[i].attributes[attribute][0] for i in train_rows if len(cat.items[i].attributes.get(attribute) or []) == 1})
    index = {v: k for k, v in enumerate(labels_list)}

    def label(i: int) -> int:
        vs = cat.items[i].attributes.get(attribute) or []
        return index.get(vs[0], -1) if len(vs) == 1 else -1

    train_rows = [i for i in train_rows if label(i) >= 0]
    val_rows = [i for i in val_rows if label(i) >= 0]
    log(f"{len(train_rows)} train pictures ({args.variants} per style), {len(val_rows)} validation pictures, {len(labels_list)} categories")
    train_x = cached_images(cat, train_rows, "train", cache_dir)
    train_y = torch.tensor([label(i) for i in train_rows])
    val_x = cached_images(cat, val_rows, "validation", cache_dir)
    val_y = np.array([label(i) for i in val_rows])
    photos = read_photos(cat, os.path.join(args.catalog, "queries", "realshot-indist-validation.jsonl"))
    photo_x = photo_images(photos.paths) if photos else np.zeros((0, 32, 32, 3), np.uint8)
    photo_y = np.array([label(int(r)) for r in photos.product_rows]) if photos else np.zeros(0, np.int64)
    log(f"pictures ready: {len(photo_x)} validation photos")

    channels = tower.features[-2][0].out_channels
    net = CategoryNet(copy.deepcopy(tower.features), channels, len(labels_list)).to(memory_format=torch.channels_last)
    steps = args.epochs * (args.per_epoch // args.batch)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    g = torch.Generator().manual_seed(args.seed)
    history, best = [], None

    def evaluate(epoch: int) -> dict:
        lc, lp = logits_of(net, val_x), logits_of(net, photo_x)
        r = {"epoch": epoch, "clean": float((lc.argmax(1) == val_y).mean()), "photos": float((lp.argmax(1) == photo_y).mean()) if len(lp) else None}
        r["score"] = r["clean"] if r["photos"] is None else (r["clean"] + r["photos"]) / 2
        return r

    for epoch in range(1, args.epochs + 1):
        net.train()
        order = torch.randperm(len(train_rows), generator=g)[: args.per_epoch]
        seen, loss_sum = 0, 0.0
        for s in range(0, len(order) - args.batch + 1, args.batch):
            idx = order[s: s + args.batch].sort().values
            x = augment.augment(torch.from_numpy(np.array(train_x[idx.numpy()])), g, strength=1.0)
            x = grey(x, g).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(net(x), train_y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            seen += len(idx)
            loss_sum += float(loss) * len(idx)
        r = evaluate(epoch)
        r["trainLoss"] = loss_sum / max(1, seen)
        history.append(r)
        log(f"epoch {epoch}: loss {r['trainLoss']:.4f}, validation clean {r['clean']:.4f}, photos {r['photos']}")
        if best is None or r["score"] > best[0]["score"]:
            best = (r, copy.deepcopy(net.state_dict()))

    net.load_state_dict(best[1])
    lc, lp = logits_of(net, val_x), logits_of(net, photo_x)
    sets = [(lc, val_y)] + ([(lp, photo_y)] if len(lp) else [])
    t = fit_temperature(sets)
    report_sets = {}
    for name, (lg, y) in zip(["clean", "photos"], sets):
        p = softmax(lg, t)
        report_sets[name] = {"count": int(len(y)), "accuracy": round(float((p.argmax(1) == y).mean()), 4),
                             "eceBefore": round(ece(softmax(lg), y), 4), "eceAfter": round(ece(p, y), 4)}
    log(f"best epoch {best[0]['epoch']}, temperature {t:.3f}: {report_sets}")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(Calibrated(net, t), onnx_path)
    parity = check_parity(Calibrated(net, t), onnx_path, np.array(val_x[:256]))
    log(f"ONNX parity: {parity}")
    report = {
        "model": {"name": MODEL_NAME, "version": MODEL_VERSION},
        "labels": labels_list,
        "settings": {k: v for k, v in vars(args).items() if k not in ("catalog", "checkpoint", "out", "manifest")},
        "attribute": attribute,
        "trainPictures": len(train_rows),
        "history": history,
        "bestEpoch": best[0]["epoch"],
        "temperature": round(t, 4),
        "validation": report_sets,
        "parity": parity,
        "seconds": round(time.time() - T0),
    }
    with open(os.path.join(args.out, "training-report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "validation.md"), "w", encoding="utf-8") as f:
        f.write(validation_markdown(report))
    if args.manifest != "none":
        write_manifest_entry(args.manifest, labels_list, report, attribute)
    return report


def export_onnx(model: nn.Module, path: str) -> None:
    from .export import export_onnx as export

    export(model, (torch.randn(2, 3, 32, 32),), path, ["pixel_values"], ["probabilities"],
           {"pixel_values": {0: "batch"}, "probabilities": {0: "batch"}})


def check_parity(model: nn.Module, onnx_path: str, images: np.ndarray) -> dict:
    """The exported graph on onnxruntime-node (the server's runtime) against PyTorch, on clean inputs."""
    from .attributes import node_available, ort_run

    x = augment.preprocess(torch.from_numpy(images))
    with torch.no_grad():
        mine = model.eval()(x).numpy()
    if not node_available():
        return {"inputs": len(images), "checked": False}
    theirs = ort_run(onnx_path, "pixel_values", x.numpy())["probabilities"]
    diff = float(np.abs(mine - theirs).max())
    if diff > 1e-4:
        raise RuntimeError(f"the exported category model differs from PyTorch by {diff}")
    return {"inputs": len(images), "checked": True, "maxAbsDiff": diff}


def validation_markdown(report: dict) -> str:
    lines = ["| epoch | train loss | clean | photos |", "| ---: | ---: | ---: | ---: |"]
    for h in report["history"]:
        photos = "-" if h["photos"] is None else f"{h['photos']:.4f}"
        lines.append(f"| {h['epoch']} | {h['trainLoss']:.4f} | {h['clean']:.4f} | {photos} |")
    v = report["validation"]
    lines += ["", f"Best epoch {report['bestEpoch']}, temperature {report['temperature']}.", "",
              "| set | pictures | accuracy | ECE before / after |", "| --- | ---: | ---: | ---: |"]
    for name, s in v.items():
        lines.append(f"| {name} | {s['count']} | {s['accuracy']:.4f} | {s['eceBefore']:.4f} / {s['eceAfter']:.4f} |")
    return "\n".join(lines) + "\n"


def write_manifest_entry(manifest_path: str, labels: List[str], report: dict, attribute: str = ATTRIBUTE) -> None:
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    image = next(m for m in manifest["models"] if m["name"] == IMAGE_MODEL)
    entry = {
        "name": MODEL_NAME,
        "role": "category",
        "version": MODEL_VERSION,
        "file": f"{MODEL_NAME}/model.onnx",
        "requires": [IMAGE_MODEL],
        "attribute": attribute,
        "inputs": [{"name": "pixel_values", "type": "float32", "shape": ["batch", 3, 32, 32]}],
        "outputs": [{"name": "probabilities", "type": "float32", "shape": ["batch", len(labels)]}],
        "preprocessing": image["preprocessing"],
        "labels": labels,
        "validation": report["validation"],
        # categoryFusion (a, W, F) is chosen afterwards on validation through the server's code:
        # npm run eval:attributes -- --split validation --write-fusion (the server leaves the model off until then)
        "description": "The image tower's convolutions fine-tuned to classify the catalogue's categories from the picture "
                       "(cross-entropy, in-distribution photo augmentations); softmax with a validation temperature.",
    }
    manifest["models"] = [m for m in manifest["models"] if m["name"] != MODEL_NAME] + [entry]
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

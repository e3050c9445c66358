"""Trains the outfit compatibility model semi-supervised and exports it.

    /usr/bin/python3 -m training.outfits.train --catalog data/catalog --out models/fashion-outfit

1. supervised: the labelled train-split outfits (compatible / incompatible);
2. self-training: the supervised model scores the unlabelled train-split pool; outfits scored at
   least --threshold (or at most 1 - threshold) join the training set with that pseudo-label, and a
   fresh model trains on labelled + pseudo-labelled outfits (--rounds times).
Both stages are evaluated on the validation split (labelled outfits: accuracy and AUC; fill-in-the-blank
questions: accuracy) and the numbers go into model.json. Only train-split rows are trained on; test-split
rows are never read (the test split's fill-in-the-blank accuracy is reported by npm run eval -- --set outfits).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from .features import FeatureSpace, build_vocabulary, load_products
from .model import OutfitCompatibility

MODEL_NAME = "fashion-outfit"
TRAINING_SPLITS = ("train", "validation")
MODEL_VERSION = "1.0.0"
OPSET = 14


def read_split_rows(path: str) -> list[dict]:
    """The train- and validation-split rows of a JSON-lines file: test-split rows are dropped as soon as
    they are read, so training learns and chooses nothing from them."""
    return [r for r in read_jsonl(path) if r.get("split") in TRAINING_SPLITS]


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fit(x: np.ndarray, m: np.ndarray, y: np.ndarray, dim: int, *, epochs: int, seed: int, w: np.ndarray | None = None,
        hidden: int = 64, lr: float = 3e-3, batch: int = 128) -> OutfitCompatibility:
    """Trains a fresh model with binary cross-entropy (optionally per-example weights)."""
    torch.manual_seed(seed)
    model = OutfitCompatibility(dim, hidden)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    X, M, Y = torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(y.astype(np.float32))
    W = torch.from_numpy((w if w is not None else np.ones(len(y))).astype(np.float32))
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    g = torch.Generator().manual_seed(seed)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(Y), generator=g)
        for i in range(0, len(Y), batch):
            idx = perm[i:i + batch]
            loss = (loss_fn(model.logits(X[idx], M[idx]), Y[idx]) * W[idx]).sum() / W[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model


@torch.no_grad()
def predict(model: OutfitCompatibility, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    model.eval()
    return model(torch.from_numpy(x), torch.from_numpy(m)).numpy()


def pseudo_label(probs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of confident predictions and their hard labels: p >= threshold -> 1, p <= 1 - threshold -> 0."""
    if not 0.5 < threshold < 1.0:
        raise ValueError(f"threshold must lie in (0.5, 1) (got {threshold})")
    pos = probs >= threshold
    neg = probs <= 1.0 - threshold
    keep = np.nonzero(pos | neg)[0]
    return keep, pos[keep].astype(np.float32)


def auc(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    # average ranks over ties
    for v in np.unique(p):
        t = p == v
        if t.sum() > 1:
            ranks[t] = ranks[t].mean()
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


class Evaluation:
    def __init__(self, space: FeatureSpace, products: dict[str, dict], labelled: list[dict], fitb: list[dict]):
        self.y = np.array([r["label"] for r in labelled], dtype=np.float32)
        self.x, self.m = space.batch([[products[i] for i in r["items"]] for r in labelled])
        outfits = []
        for q in fitb:
            for c in q["candidates"]:
                outfits.append([products[i] for i in q["items"]] + [products[c]])
        self.fx, self.fm = space.batch(outfits)
        self.answer = np.array([q["answerIndex"] for q in fitb])
        self.k = len(fitb[0]["candidates"]) if fitb else 4

    def __call__(self, model: OutfitCompatibility) -> dict:
        p = predict(model, self.x, self.m)
        out = {"labelledAccuracy": round(float(((p >= 0.5) == (self.y == 1)).mean()), 4),
               "labelledAuc": round(auc(self.y, p), 4), "labelledOutfits": int(len(self.y))}
        if len(self.answer):
            s = predict(model, self.fx, self.fm).reshape(-1, self.k)
            out["fitbAccuracy"] = round(float((s.argmax(axis=1) == self.answer).mean()), 4)
            out["fitbQuestions"] = int(len(self.answer))
        return out


def data_hash(rows: list[dict], products: dict[str, dict]) -> str:
    """sha256 over the training rows and the attributes of every product they reference."""
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps({k: r[k] for k in sorted(r)}, sort_keys=True).encode())
    for pid in sorted({i for r in rows for i in r["items"]}):
        h.update(json.dumps([pid, products[pid]["attributes"]], sort_keys=True).encode())
    return "sha256:" + h.hexdigest()


def export_onnx(model: OutfitCompatibility, space: FeatureSpace, path: str) -> None:
    model.eval()
    items = torch.zeros(2, space.to_json()["maxItems"], space.dim)
    mask = torch.ones(2, space.to_json()["maxItems"])
    torch.onnx.export(model, (items, mask), path, input_names=["items", "mask"], output_names=["score"],
                      dynamic_axes={"items": {0: "batch"}, "mask": {0: "batch"}, "score": {0: "batch"}},
                      opset_version=OPSET, do_constant_folding=True)


def golden(model: OutfitCompatibility, space: FeatureSpace, products: list[dict]) -> dict:
    """Parity fixture: products (attributes only), outfits over them, their features and scores."""
    by_group: dict[str, list[dict]] = {}
    for p in products:
        by_group.setdefault(p["attributes"]["group"][0], []).append(p)
    rng = np.random.default_rng(7)
    outfits = []
    for k in range(12):
        structure = ("top", "bottom", "shoes", "bag") if k % 2 == 0 else ("dress", "shoes", "bag")
        items = [by_group[g][int(rng.integers(len(by_group[g])))] for g in structure]
        if k % 4 == 3:
            items = items[:-1]  # partial outfits are scored too
        outfits.append(items)
    x, m = space.batch(outfits)
    s = predict(model, x, m)
    used = {p["id"]: p for o in outfits for p in o}
    return {
        "products": [{"id": p["id"], "attributes": {a: p["attributes"].get(a, []) for a in sorted(p["attributes"])}} for p in used.values()],
        "outfits": [[p["id"] for p in o] for o in outfits],
        "features": [[[round(float(v), 1) for v in row] for row in ox] for ox in x.tolist()],
        "mask": m.tolist(),
        "scores": [float(v) for v in s],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", default="data/catalog", help="catalogue folder with products.jsonl and outfits/")
    ap.add_argument("--out", default="models/fashion-outfit")
    ap.add_argument("--golden-catalog", default="seed/demo", help="catalogue whose products make the parity fixture")
    ap.add_argument("--threshold", type=float, default=0.95, help="pseudo-label confidence")
    ap.add_argument("--rounds", type=int, default=2, help="self-training rounds")
    ap.add_argument("--epochs", type=int, default=40, help="epochs on the labelled set")
    ap.add_argument("--student-epochs", type=int, default=15, help="epochs of each self-training round")
    ap.add_argument("--pseudo-weight", type=float, default=0.5, help="loss weight of a pseudo-labelled outfit")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the network is tiny: one is fastest)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    log = lambda msg: print(f"[{time.time() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    odir = os.path.join(args.catalog, "outfits")
    labelled = read_split_rows(os.path.join(odir, "labelled.jsonl"))
    unlabelled = read_split_rows(os.path.join(odir, "unlabelled.jsonl"))
    fitb = [r for r in read_split_rows(os.path.join(odir, "fitb.jsonl")) if r["split"] == "validation"]
    train_l = [r for r in labelled if r["split"] == "train"]
    train_u = [r for r in unlabelled if r["split"] == "train"]
    val_l = [r for r in labelled if r["split"] == "validation"]
    if not train_l:
        raise SystemExit(f"{odir}/labelled.jsonl has no train-split outfit: use a catalogue with training data (--profile full)")
    ids = {i for r in labelled + unlabelled for i in r["items"]} | {i for q in fitb for i in q["items"] + q["candidates"]}
    products = load_products(os.path.join(args.catalog, "products.jsonl"), ids)
    log(f"{len(train_l)} labelled and {len(train_u)} unlabelled train outfits; {len(val_l)} labelled validation outfits, {len(fitb)} FITB questions; {len(products)} products")

    train_products = [products[i] for i in sorted({i for r in train_l + train_u for i in r["items"]})]
    space = FeatureSpace(build_vocabulary(train_products))
    xl, ml = space.batch([[products[i] for i in r["items"]] for r in train_l])
    yl = np.array([r["label"] for r in train_l], dtype=np.float32)
    xu, mu = space.batch([[products[i] for i in r["items"]] for r in train_u])
    evaluate = Evaluation(space, products, val_l, fitb)

    model = fit(xl, ml, yl, space.dim, epochs=args.epochs, seed=args.seed, hidden=args.hidden)
    supervised = evaluate(model)
    log(f"supervised: {supervised}")
    rounds = []
    for r in range(args.rounds):
        probs = predict(model, xu, mu)
        keep, labels = pseudo_label(probs, args.threshold)
        x = np.concatenate([xl, xu[keep]])
        m = np.concatenate([ml, mu[keep]])
        y = np.concatenate([yl, labels])
        w = np.concatenate([np.ones(len(yl)), np.full(len(keep), args.pseudo_weight)])
        model = fit(x, m, y, space.dim, epochs=args.student_epochs, seed=args.seed + r + 1, w=w, hidden=args.hidden)
        metrics = evaluate(model)
        rounds.append({"round": r + 1, "pseudoLabelled": int(len(keep)), "pseudoPositive": int(labels.sum()),
                       "pseudoNegative": int(len(keep) - labels.sum()), **metrics})
        log(f"self-training round {r + 1}: {rounds[-1]}")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(model, space, onnx_path)
    golden_products = list(load_products(os.path.join(args.golden_catalog, "products.jsonl")).values())
    with open(os.path.join(args.out, "golden.json"), "w", encoding="utf8") as f:
        json.dump(golden(model, space, golden_products), f)
        f.write("\n")
    meta = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "task": "outfit compatibility: probability that a set of items forms a compatible outfit",
        "file": "model.onnx",
        "opset": OPSET,
        "inputs": [{"name": "items", "type": "float32", "shape": ["batch", space.to_json()["maxItems"], space.dim]},
                   {"name": "mask", "type": "float32", "shape": ["batch", space.to_json()["maxItems"]]}],
        "outputs": [{"name": "score", "type": "float32", "shape": ["batch"]}],
        "features": space.to_json(),
        "trainingData": {
            "catalog": os.path.basename(os.path.normpath(args.catalog)),
            "split": "train",
            "hash": data_hash(train_l + train_u, products),
            "labelled": len(train_l),
            "unlabelled": len(train_u),
        },
        "training": {"epochs": args.epochs, "studentEpochs": args.student_epochs, "hidden": args.hidden, "seed": args.seed,
                     "pseudoLabelThreshold": args.threshold, "pseudoLabelWeight": args.pseudo_weight, "rounds": args.rounds,
                     "parameters": sum(p.numel() for p in model.parameters())},
        "evaluation": {"split": "validation", "supervised": supervised, "selfTraining": rounds},
    }
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    log(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), model.json and golden.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

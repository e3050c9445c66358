"""Query-side fine-tuning from recorded traffic: `python -m training.train --events DATA_DIR --from models`.

1. Sessions: the server's search log (DATA_DIR/events.sqlite) or an exported JSON-lines file, oldest
   first. The latest `--held-out` share (by time) is kept for the candidate's promotion test and never
   trained on; of the rest, the latest `--validation` share chooses the epoch (early stopping on the
   click MRR of those sessions) and the remainder trains.
2. Click model: a position-based model estimated by EM on the training sessions gives each rank's
   examination propensity; a click's triplet weight is its inverse (click_model.py).
3. Triplets: query, clicked product, skipped products above the click, in-batch negatives
   (triplets.py), against the frozen gallery: the image-space vectors of the catalogue exactly as the
   index holds them (exported by `npm run gallery`, which embeds the catalogue through the server's
   own encoders).
4. Warm start: the served text tower read back from ONNX (onnx_weights.py). Only the query tower
   learns; the image tower, the gallery text tower and the fusion network stay, so the new query
   model is compatible with the existing index and no product is re-embedded. An anchor term keeps
   the catalogue's own words (its product titles) where the current tower puts them, so what the
   current model already does well is not unlearned.
5. Export: a candidate models folder (a copy of --from with the new query tower as
   `defaults.text`, the previous gallery text tower kept as `gallery.text`), golden embeddings for
   the parity check, and training-report.json with every count. `npm run promote` then evaluates it
   against the current models on the held-out sessions and promotes it or refuses.

Refuses, with a message, when the log holds too few clicked sessions, distinct queries or triplets.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..tokenizer import WordPieceTokenizer
from ..train import Batcher
from .click_model import estimate
from .onnx_weights import WarmStartError, check_golden, load_text_tower, read_manifest
from .search_log import Session, read_sessions, split_by_time
from .triplets import Triplet, build_triplets, query_key

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUERY_MODEL = "fashion-text-clicks"


class TooLittleTraffic(SystemExit):
    pass


def log(msg: str) -> None:
    print(f"[learn {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- gallery
def read_gallery(directory: str) -> Tuple[List[str], np.ndarray, dict]:
    with open(os.path.join(directory, "gallery.json")) as f:
        meta = json.load(f)
    vectors = np.fromfile(os.path.join(directory, "image.f32"), dtype="<f4").reshape(len(meta["ids"]), meta["dim"])
    return meta["ids"], vectors, meta


def export_gallery(catalog: str, models: str, out: str) -> None:
    """Runs `npm run gallery` (the server's encoders) to write the catalogue's image-space vectors."""
    cmd = ["npx", "tsx", os.path.join(ROOT, "src", "cli", "gallery.ts"), "--catalog", catalog, "--models", models, "--out", out]
    log("embedding the catalogue through the server's encoders: " + " ".join(cmd))
    subprocess.run(cmd, cwd=ROOT, check=True)


# ---------------------------------------------------------------- training
def query_words(q: str) -> set:
    return {w for w in query_key(q).split() if len(w) > 2}


def weighted_triplet_loss(q: torch.Tensor, pos: torch.Tensor, negs: torch.Tensor, neg_valid: torch.Tensor,
                          invalid_inbatch: torch.Tensor, weights: torch.Tensor, margin: float) -> torch.Tensor:
    """Per-row margin triplet loss (cosine) over the skipped-above negatives and the hardest in-batch
    negative, averaged with the rows' inverse-propensity weights."""
    pos_sim = (q * pos).sum(-1)
    neg_sim = torch.einsum("bd,bkd->bk", q, negs)
    skip = (F.relu(margin - pos_sim[:, None] + neg_sim) * neg_valid).sum(1) / neg_valid.sum(1).clamp(min=1.0)
    sim = q @ pos.t()
    hardest = sim.masked_fill(invalid_inbatch, -2.0).max(dim=1).values
    inbatch = F.relu(margin - pos_sim + hardest)
    per_row = skip + inbatch
    return (per_row * weights).sum() / weights.sum()


def judged_lists(triplets: List[Triplet], sessions: List[Session], rows: Dict[str, int],
                 shown_depth: int = 20) -> List[Tuple[str, List[int], List[int]]]:
    """Per query of a triplet set: its text, the products judged for it and its positives. The
    judged products are what the log showed for the query (the first `shown_depth` of each first
    page), its positives (a chain's may not have been shown) and their negatives. Only logged
    products are judged, so a tower is compared within them (counterfactual evaluation on logged
    lists): it is not blamed for putting unjudged products first. Queries without a negative are left out."""
    rel: Dict[str, set] = {}
    cand: Dict[str, set] = {}
    spelling: Dict[str, str] = {}
    for t in triplets:
        q = query_key(t.query)
        spelling.setdefault(q, t.query)
        rel.setdefault(q, set()).add(t.positive)
        cand.setdefault(q, set()).update([t.positive, *t.negatives])
    for s in sessions:
        q = query_key(s.query)
        if q in cand and s.offset == 0:
            cand[q].update(rows[p] for p in s.shown[:shown_depth] if p in rows)
    return [(spelling[q], sorted(cand[q]), sorted(rel[q])) for q in sorted(rel) if len(cand[q]) > len(rel[q])]


@torch.no_grad()
def reranked_mrr(model, tokens: Batcher, judged: List[Tuple[str, List[int], List[int]]], gallery: torch.Tensor) -> Optional[float]:
    """Mean reciprocal rank of the first relevant product when the tower re-ranks the products the log
    showed for the query. Only logged products are judged, so the metric ranks within them: a tower
    is not blamed for putting unjudged products first (counterfactual evaluation on logged lists)."""
    if not judged:
        return None
    model.eval()
    out = []
    for i in range(0, len(judged), 256):
        part = judged[i: i + 256]
        q = model(*tokens([x[0] for x in part]))
        for j, (_, shown, rel) in enumerate(part):
            scores = gallery[shown] @ q[j]
            best = (gallery[rel] @ q[j]).max()
            out.append(1.0 / (int((scores > best).sum().item()) + 1))
    return float(np.mean(out))


def with_typo(text: str, rng: np.random.Generator) -> str:
    """One typing error (a letter dropped, doubled, swapped with the next or replaced) in one word
    of four letters or more; the text as it is when it has none."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = long[int(rng.integers(len(long)))]
    w = words[i]
    k = int(rng.integers(1, len(w) - 1))
    kind = int(rng.integers(4))
    if kind == 0:
        w = w[:k] + w[k + 1:]
    elif kind == 1:
        w = w[:k] + w[k] + w[k:]
    elif kind == 2:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    else:
        w = w[:k] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(26))] + w[k + 1:]
    words[i] = w
    return " ".join(words)


def anchor_texts(titles: List[str], typo_share: float, seed: int) -> List[str]:
    """The catalogue's titles and, for a share of them, a copy with a typing error: the anchor keeps
    the current tower's answer to both, so fine-tuning does not unlearn its tolerance of typos."""
    rng = np.random.default_rng(seed)
    extra = [with_typo(t, rng) for t in titles if rng.random() < typo_share]
    return titles + [t for t in extra if t not in titles]


def catalogue_titles(catalog: str, limit: int, seed: int) -> List[str]:
    path = os.path.join(catalog, "products.jsonl")
    titles = []
    with open(path) as f:
        for line in f:
            if line.strip():
                t = json.loads(line).get("title")
                if isinstance(t, str) and t.strip():
                    titles.append(t.strip())
    rng = np.random.default_rng(seed)
    if len(titles) > limit:
        titles = [titles[i] for i in rng.choice(len(titles), limit, replace=False)]
    return titles


def finetune(model, tokens: Batcher, train: List[Triplet], clicked_by_query: Dict[str, set], val_judged: List[Tuple[str, List[int], List[int]]],
             gallery: torch.Tensor, anchors: List[str], args) -> dict:
    ref = copy.deepcopy(model).eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        anchor_targets = torch.cat([ref(*tokens(anchors[i: i + 512])) for i in range(0, len(anchors), 512)]) if anchors else None
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = np.random.default_rng(args.seed)
    best = {"epoch": 0, "mrr": reranked_mrr(model, tokens, val_judged, gallery)}
    best_state = copy.deepcopy(model.state_dict())
    history = [{"epoch": 0, "validationMrr": best["mrr"]}]
    log(f"validation MRR before fine-tuning: {best['mrr']}")
    started = time.time()
    k = args.negatives
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(train))
        total, steps = 0.0, 0
        for s in range(0, len(order), args.batch):
            batch = [train[i] for i in order[s: s + args.batch]]
            if len(batch) < 2:
                continue
            q = model(*tokens([t.query for t in batch]))
            pos_rows = torch.tensor([t.positive for t in batch])
            pos = gallery[pos_rows]
            neg_idx = torch.zeros(len(batch), k, dtype=torch.long)
            neg_valid = torch.zeros(len(batch), k)
            for i, t in enumerate(batch):
                n = t.negatives[:k]
                if n:
                    neg_idx[i, : len(n)] = torch.tensor(n)
                    neg_valid[i, : len(n)] = 1.0
            negs = gallery[neg_idx]
            invalid = torch.zeros(len(batch), len(batch), dtype=torch.bool)
            words = [query_words(t.query) for t in batch]
            for i, t in enumerate(batch):
                good = clicked_by_query.get(query_key(t.query), set())
                for j, u in enumerate(batch):
                    # another query sharing a word may want the same products: not a negative
                    if i == j or u.positive in good or words[i] & words[j]:
                        invalid[i, j] = True
            weights = torch.tensor([t.weight for t in batch], dtype=torch.float32)
            loss = weighted_triplet_loss(q, pos, negs, neg_valid, invalid, weights, args.margin)
            if anchor_targets is not None and args.anchor_weight > 0:
                pick = rng.choice(len(anchors), min(args.anchor_batch, len(anchors)), replace=False)
                now = model(*tokens([anchors[i] for i in pick]))
                loss = loss + args.anchor_weight * (1.0 - (now * anchor_targets[torch.from_numpy(pick)]).sum(-1)).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss)
            steps += 1
        mrr = reranked_mrr(model, tokens, val_judged, gallery)
        history.append({"epoch": epoch, "loss": round(total / max(steps, 1), 5), "validationMrr": mrr})
        log(f"epoch {epoch}: loss {total / max(steps, 1):.4f}, validation MRR {mrr}")
        if args.keep == "last" or mrr is None or best["mrr"] is None or mrr > best["mrr"]:
            best = {"epoch": epoch, "mrr": mrr}
            best_state = copy.deepcopy(model.state_dict())
        if args.time_budget and time.time() - started > args.time_budget:
            log(f"time budget of {args.time_budget:.0f} s reached after epoch {epoch}")
            break
    model.load_state_dict(best_state)
    model.eval()
    return {"history": history, "bestEpoch": best["epoch"], "validationMrr": best["mrr"],
            "seconds": round(time.time() - started, 1)}


# ---------------------------------------------------------------- export
def next_version(version: str) -> str:
    parts = (version.split("+")[0].split(".") + ["0", "0", "0"])[:3]
    major, minor = int(parts[0]), int(parts[1])
    return f"{major}.{minor + 1}.0"


def write_candidate(src: str, out: str, model, tok: WordPieceTokenizer, entry: dict, report: dict, golden_texts: List[str]) -> str:
    from ..export import export_text

    if os.path.abspath(out) == os.path.abspath(src):
        raise SystemExit("--out must differ from --from: the candidate is written beside the current models and promoted by `npm run promote`")
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(src, out)
    manifest = read_manifest(src)
    gallery_text = (manifest.get("gallery") or {}).get("text") or manifest["defaults"]["text"]
    name = QUERY_MODEL
    version = next_version(entry["version"]) if entry["name"] == name else "1.1.0"
    path = os.path.join(out, name, "model.onnx")
    export_text(model, path, tok.max_length)
    new_entry = json.loads(json.dumps(entry))
    new_entry.update({
        "name": name, "version": version, "file": f"{name}/model.onnx", "baseline": False, "metrics": {},
        "description": f"Query text tower fine-tuned from {entry['name']}@{entry['version']} with inverse-propensity-weighted "
                       "triplets from recorded search traffic, against the frozen gallery; products keep the gallery text tower.",
        "fineTunedFrom": {"name": entry["name"], "version": entry["version"]},
        "training": {"events": report},
    })
    new_entry.pop("baseline", None)
    manifest["models"] = [m for m in manifest["models"] if m["name"] != name] + [new_entry]
    manifest["defaults"]["text"] = name
    manifest["gallery"] = {"image": manifest["defaults"]["image"], "text": gallery_text}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    # golden embeddings of the new tower, for the ONNX parity check of `npm run promote`
    gpath = os.path.join(out, "golden", "golden.json")
    golden = json.load(open(gpath)) if os.path.isfile(gpath) else {"text": [], "image": [], "fusion": []}
    golden["text"] = [r for r in golden.get("text", []) if r["model"] != name]
    with torch.no_grad():
        for t in golden_texts:
            ids = tok.encode(t)
            emb = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))[0]
            golden["text"].append({"model": name, "text": t, "input_ids": ids, "embedding": emb.tolist()})
    os.makedirs(os.path.dirname(gpath), exist_ok=True)
    with open(gpath, "w") as f:
        json.dump(golden, f)
    with open(os.path.join(out, "training-report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    return f"{name}@{version}"


# ---------------------------------------------------------------- main
def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Fine-tune the query text tower on recorded search traffic.")
    ap.add_argument("--events", required=True, help="the server's data folder (events.sqlite) or an exported events .jsonl file")
    ap.add_argument("--from", dest="from_dir", default=os.path.join(ROOT, "models"), help="the current models folder (warm start)")
    ap.add_argument("--catalog", default=os.path.join(ROOT, "seed", "demo"), help="the catalogue the log's products belong to")
    ap.add_argument("--gallery", default=None, help="folder of the catalogue's exported vectors (default: exported now into data/training-cache)")
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "candidates", "latest"), help="candidate models folder")
    ap.add_argument("--full-retrain", action="store_true", help="refused here: a full retrain re-embeds the catalogue (npm run train)")
    ap.add_argument("--held-out", type=float, default=0.2, help="latest share of sessions kept for the promotion test")
    ap.add_argument("--validation", type=float, default=0.15, help="latest share of the training sessions that picks the epoch")
    ap.add_argument("--min-sessions", type=int, default=200, help="fewest sessions with a click to train on")
    ap.add_argument("--min-queries", type=int, default=10, help="fewest distinct clicked queries")
    ap.add_argument("--min-triplets", type=int, default=300, help="fewest triplets")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--negatives", type=int, default=8)
    ap.add_argument("--anchor-weight", type=float, default=4.0)
    ap.add_argument("--anchor-batch", type=int, default=128)
    ap.add_argument("--anchors", type=int, default=10000, help="catalogue titles whose embeddings the anchor term keeps")
    ap.add_argument("--anchor-typos", type=float, default=0.5,
                    help="share of the anchor titles also kept with one typing error")
    ap.add_argument("--ipw-clip", type=float, default=10.0, help="largest inverse-propensity weight of a click")
    ap.add_argument("--threshold", type=float, default=0.25,
                    help="debiased attractiveness from which a (query, product) pair counts as relevant")
    ap.add_argument("--time-budget", type=float, default=540.0, help="seconds of training before stopping after the epoch")
    ap.add_argument("--chain-weight", type=float, default=0.5,
                    help="weight of a query-chain positive (clicked after rewording) relative to a direct click")
    ap.add_argument("--chain-window", type=float, default=600.0, help="seconds between two wordings of one visit's chain")
    ap.add_argument("--keep", choices=["best", "last"], default="best",
                    help="the epoch exported: the best on the validation sessions, or the last")
    ap.add_argument("--seed", type=int, default=1234)
    return ap.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse(argv)
    if args.full_retrain:
        raise SystemExit("--full-retrain changes the gallery towers, so every product must be re-embedded: run `npm run train` "
                         "and re-ingest the catalogue; --events fine-tunes the query side only")
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    t0 = time.time()
    sessions, summary = read_sessions(args.events)
    log(f"{summary.searches} searches in {summary.source}: {summary.text_searches} text searches, {summary.clicks} clicks")
    train_part, held_out, held_out_from = split_by_time(sessions, args.held_out)
    fit, val, _ = split_by_time(train_part, args.validation)

    try:
        model, tok, entry = load_text_tower(args.from_dir)
        checked = check_golden(args.from_dir, entry["name"], model)
    except WarmStartError as e:
        raise SystemExit(f"cannot warm-start from {args.from_dir}: {e}")
    log(f"warm start from {entry['name']}@{entry['version']} ({checked} golden embeddings reproduced)")

    gallery_dir = args.gallery
    if gallery_dir is None:
        gallery_dir = os.path.join(ROOT, "data", "training-cache", "gallery-" + os.path.basename(os.path.abspath(args.catalog)))
        export_gallery(args.catalog, args.from_dir, gallery_dir)
    ids, vectors, gmeta = read_gallery(gallery_dir)
    rows = {pid: i for i, pid in enumerate(ids)}
    gallery = torch.from_numpy(vectors.copy())
    log(f"gallery: {len(ids)} products ({gmeta.get('imageModel')})")

    pbm = estimate(fit + val)
    log(f"position-based click model: examination at ranks 1..10 {[round(float(t), 3) for t in pbm.theta[:10]]}")
    fit_set = build_triplets(fit, rows, pbm, args.negatives, args.ipw_clip, args.threshold, args.chain_weight, args.chain_window)
    # the validation and held-out sessions are judged the same way: debiased clicks and query chains
    def judged(part: List[Session]):
        return judged_lists(build_triplets(part, rows, pbm, args.negatives, args.ipw_clip, args.threshold, args.chain_weight,
                                           args.chain_window).triplets, part, rows)

    val_judged, held_judged = judged(val), judged(held_out)
    counts = {
        "sessions": len(sessions), "trainingSessions": len(fit), "validationSessions": len(val),
        "heldOutSessions": len(held_out), "heldOutFrom": held_out_from, **fit_set.as_dict(),
    }
    log(f"{counts['sessionsWithClicks']} clicked sessions, {counts['queries']} distinct queries, {counts['triplets']} triplets "
        f"({counts['productsNotInGallery']} clicks on products not in the gallery); {len(val)} validation and "
        f"{len(held_out)} held-out sessions")
    short = []
    if fit_set.sessions < args.min_sessions:
        short.append(f"{fit_set.sessions} sessions with a click (need {args.min_sessions})")
    if fit_set.queries < args.min_queries:
        short.append(f"{fit_set.queries} distinct clicked queries (need {args.min_queries})")
    if len(fit_set.triplets) < args.min_triplets:
        short.append(f"{len(fit_set.triplets)} triplets (need {args.min_triplets})")
    if not held_out:
        short.append("no held-out sessions for the promotion test")
    elif not held_judged:
        short.append("no held-out query with a relevant product for the promotion test")
    if short:
        raise TooLittleTraffic("too little traffic to fine-tune on: " + "; ".join(short) +
                               ". Record more searches and clicks (recordSearchEvents), or lower --min-sessions/--min-queries/--min-triplets.")

    anchors = anchor_texts(catalogue_titles(args.catalog, args.anchors, args.seed), args.anchor_typos, args.seed)
    tokens = Batcher(tok, torch.device("cpu"))
    result = finetune(model, tokens, fit_set.triplets, fit_set.clicked_by_query, val_judged, gallery, anchors, args)
    report = {
        "events": summary.as_dict(), "counts": counts, "clickModel": pbm.as_dict(),
        "from": f"{entry['name']}@{entry['version']}", "catalog": os.path.abspath(args.catalog),
        "gallery": {k: gmeta.get(k) for k in ("imageModel", "indexKey", "products")},
        "anchors": len(anchors), "settings": {k: getattr(args, k) for k in ("epochs", "batch", "lr", "margin", "negatives",
                                                                          "anchor_weight", "anchor_typos", "anchors", "ipw_clip", "threshold", "chain_weight", "held_out", "validation")},
        **result, "totalSeconds": round(time.time() - t0, 1),
    }
    report["counts"]["heldOutQueries"] = len(held_judged)
    golden_texts = sorted({s.query for s in held_out})[:8] + anchors[:4]
    written = write_candidate(args.from_dir, args.out, model, tok, entry, report, golden_texts)
    with open(os.path.join(args.out, "held-out-judgements.json"), "w") as f:
        json.dump({"from": held_out_from, "source": summary.source, "threshold": args.threshold, "queries": [
            {"text": q, "candidates": [ids[r] for r in cand], "relevant": [ids[r] for r in rel]} for q, cand, rel in held_judged]}, f)
        f.write("\n")
    log(f"candidate {written} written to {args.out} in {report['totalSeconds']} s; evaluate and promote it with "
        f"`npm run promote -- --candidate {args.out} --events {args.events}`")
    return report


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except FileNotFoundError as e:
        raise SystemExit(str(e))

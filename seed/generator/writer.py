"""Writes a built catalogue to a folder: JSON lines, TREC qrels, WebP renders, real-shot JPEGs and
manifest.json. Renders are produced by worker processes, in a fixed order, so output is byte-identical."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image

from . import GENERATOR_VERSION
from .catalog import Catalog
from .composed import exact_qrels
from .fashion_mnist import load_split, source_hashes
from .realshot import jpeg_bytes, photograph
from .render import render
from .splits import SOURCE_OF, SPLITS

IMAGE_SIZE = 96
WEBP_QUALITY = 60
REALSHOT_SIZE = 128
GENERATED = ["products.jsonl", "manifest.json", "images", "queries", "clicks", "outfits"]


def _line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_jsonl(path: Path, rows) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(_line(r))
            n += 1
    return n


def _write_qrels(path: Path, rows) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for qid, pid, grade in rows:
            f.write(f"{qid} 0 {pid} {grade}\n")
            n += 1
    return n


def _render_task(task) -> bytes:
    kind, spec, extra = task
    images, _ = load_split(spec["source"])
    base = images[int(spec["index"])]
    buf = io.BytesIO()
    if kind == "webp":
        Image.fromarray(render(base, spec, IMAGE_SIZE), "RGB").save(buf, format="WEBP", quality=WEBP_QUALITY, method=4)
        return buf.getvalue()
    return jpeg_bytes(photograph(base, spec, extra, REALSHOT_SIZE), extra)


def _progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.time() - started, 1e-6)
    sys.stderr.write(f"\r{label}: {done}/{total} ({rate:.0f}/s)")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _render_all(out: Path, jobs: list[tuple[str, tuple]], workers: int, label: str) -> None:
    if not jobs:
        return
    started = time.time()
    total = len(jobs)
    step = max(1, total // 100)
    tasks = [t for _, t in jobs]
    if workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            for i, data in enumerate(pool.imap(_render_task, tasks, chunksize=32)):
                (out / jobs[i][0]).write_bytes(data)
                if (i + 1) % step == 0 or i + 1 == total:
                    _progress(label, i + 1, total, started)
    else:
        for i, t in enumerate(tasks):
            (out / jobs[i][0]).write_bytes(_render_task(t))
            if (i + 1) % step == 0 or i + 1 == total:
                _progress(label, i + 1, total, started)


def write_catalog(cat: Catalog, out_dir: str | Path, images: bool = True, workers: int = 2) -> dict:
    """Writes every file of `cat` under `out_dir` (generated files there are replaced first) and returns
    the manifest. `images=False` writes the metadata only; `workers` render processes (1: none)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in GENERATED:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    counts: dict[str, int] = {}

    hashes = {s: hashlib.sha256() for s in SPLITS}
    with open(out / "products.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for p in cat.products:
            line = _line(p)
            f.write(line)
            hashes[p["split"]].update(line.encode("utf-8"))
    counts["products.jsonl"] = len(cat.products)
    per_split = {s: sum(1 for p in cat.products if p["split"] == s) for s in SPLITS}

    for split, qs in cat.text_queries.items():
        counts[f"queries/text-{split}.jsonl"] = _write_jsonl(out / f"queries/text-{split}.jsonl", qs)
        counts[f"queries/text-{split}.qrels"] = _write_qrels(out / f"queries/text-{split}.qrels", cat.text_qrels[split])
    for split, qs in cat.composed.items():
        counts[f"queries/composed-{split}.jsonl"] = _write_jsonl(out / f"queries/composed-{split}.jsonl", qs)
        if split in cat.composed_meaning:
            counts[f"queries/composed-{split}.qrels"] = _write_qrels(out / f"queries/composed-{split}.qrels",
                                                                     exact_qrels(qs))
            counts[f"queries/composed-{split}-meaning.qrels"] = _write_qrels(
                out / f"queries/composed-{split}-meaning.qrels", cat.composed_meaning[split])
    photos = []
    for name, sets in (("realshot", cat.realshot), ("realshot-indist", cat.realshot_indist)):
        for split, qs in sets.items():
            rows = [{k: q[k] for k in ("id", "split", "productId", "image", "family", "degradations")} for q in qs]
            counts[f"queries/{name}-{split}.jsonl"] = _write_jsonl(out / f"queries/{name}-{split}.jsonl", rows)
            counts[f"queries/{name}-{split}.qrels"] = _write_qrels(out / f"queries/{name}-{split}.qrels",
                                                                   [(q["id"], q["productId"], 2) for q in qs])
            photos.extend(qs)
    for split, sessions in cat.clicks.items():
        counts[f"clicks/{split}.jsonl"] = _write_jsonl(out / f"clicks/{split}.jsonl", sessions)
    for name in ("labelled", "unlabelled", "fitb"):
        counts[f"outfits/{name}.jsonl"] = _write_jsonl(out / f"outfits/{name}.jsonl", cat.outfits.get(name, []))

    if images:
        (out / "images").mkdir(exist_ok=True)
        _render_all(out, [(p["image"], ("webp", p["render"], None)) for p in cat.products], workers, "renders")
        counts["images"] = len(cat.products)
        folders = Counter(Path(q["image"]).parent.as_posix() for q in photos)
        for folder, n in folders.items():
            (out / folder).mkdir(parents=True, exist_ok=True)
            counts[folder] = n
        _render_all(out, [(q["image"], ("jpeg", q["render"], q["degradations"])) for q in photos], workers,
                    "real-shot photos")

    sources = {SOURCE_OF[s] for s in cat.splits}
    manifest = {
        "profile": cat.profile,
        "seed": cat.seed,
        "generatorVersion": GENERATOR_VERSION,
        "source": {"dataset": "Fashion-MNIST",
                   "sha256": source_hashes(tuple(f for f in ("train", "test") if f in sources))},
        "images": ({"written": True, "format": "webp", "size": IMAGE_SIZE, "quality": WEBP_QUALITY,
                    "realshot": {"format": "jpeg", "size": REALSHOT_SIZE}} if images else {"written": False}),
        "products": per_split,
        "counts": dict(sorted(counts.items())),
        "dataHash": {s: hashes[s].hexdigest() for s in SPLITS if per_split[s] > 0},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest

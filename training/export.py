"""ONNX export, models/manifest.json and the golden parity fixtures."""
from __future__ import annotations

import inspect
import json
import os
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from . import augment
from .models import DIM
from .tokenizer import WordPieceTokenizer

OPSET = 14
INDEX = {"name": "fashion-space", "version": "1.0.0", "dim": DIM}
COMPAT = f"{INDEX['name']}@{INDEX['version']}"


def export_onnx(model: torch.nn.Module, args: tuple, path: str, input_names: List[str], output_names: List[str],
                dynamic: Dict[str, dict]) -> None:
    """Exports `model` (on CPU, in eval mode) to ONNX opset OPSET with the TorchScript exporter, then
    checks the file with onnx's checker."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    model = model.cpu().eval()
    kwargs = {}
    try:
        params = inspect.signature(torch.onnx.export).parameters
    except (TypeError, ValueError):
        params = {}
    if "dynamo" in params:
        kwargs["dynamo"] = False  # TorchScript exporter on 2.x, the only one on 1.13
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, **kwargs)
    import onnx

    onnx.checker.check_model(onnx.load(path))


def _export(model: torch.nn.Module, args: tuple, path: str, input_names: List[str], dynamic: Dict[str, dict]) -> None:
    export_onnx(model, args, path, input_names, ["embedding"], {**dynamic, "embedding": {0: "batch"}})


def export_text(model: torch.nn.Module, path: str, max_length: int) -> None:
    ids = torch.ones(2, 7, dtype=torch.long)
    mask = torch.ones(2, 7, dtype=torch.long)
    _export(model, (ids, mask), path, ["input_ids", "attention_mask"],
            {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}})


def export_image(model: torch.nn.Module, path: str, size: int) -> None:
    _export(model, (torch.zeros(2, 3, size, size),), path, ["pixel_values"], {"pixel_values": {0: "batch"}})


def export_fusion(model: torch.nn.Module, path: str) -> None:
    x = torch.nn.functional.normalize(torch.randn(2, DIM), dim=1)
    _export(model, (x, x.flip(0)), path, ["image_embedding", "text_embedding"],
            {"image_embedding": {0: "batch"}, "text_embedding": {0: "batch"}})


def text_entry(name: str, version: str, data_hash: str, max_length: int, baseline: bool,
               description: str, hyper: dict, tokenizer_dir: str = "fashion-text") -> dict:
    e = {
        "name": name, "role": "text", "version": version, "file": f"{name}/model.onnx", "dim": DIM,
        "tokenizer": {"dir": tokenizer_dir, "files": ["tokenizer.json", "tokenizer_config.json"],
                      "maxLength": max_length},
        "inputs": [{"name": "input_ids", "type": "int64", "shape": ["batch", "sequence"]},
                   {"name": "attention_mask", "type": "int64", "shape": ["batch", "sequence"]}],
        "outputs": [{"name": "embedding", "type": "float32", "shape": ["batch", DIM]}],
        "compatibleWith": COMPAT, "trainingDataHash": data_hash, "metrics": {},
        "description": description, "hyperParameters": hyper,
    }
    if baseline:
        e["baseline"] = True
    return e


def image_entry(name: str, version: str, data_hash: str, size: int, description: str, hyper: dict) -> dict:
    return {
        "name": name, "role": "image", "version": version, "file": f"{name}/model.onnx", "dim": DIM,
        "inputs": [{"name": "pixel_values", "type": "float32", "shape": ["batch", 3, size, size]}],
        "outputs": [{"name": "embedding", "type": "float32", "shape": ["batch", DIM]}],
        "preprocessing": {"size": size, "fit": "contain", "background": [255, 255, 255],
                          "mean": [augment.MEAN] * 3, "std": [augment.STD] * 3, "colorOrder": "RGB",
                          "layout": "NCHW", "scale": augment.SCALE},
        "compatibleWith": COMPAT, "trainingDataHash": data_hash, "metrics": {},
        "description": description, "hyperParameters": hyper,
    }


def fusion_entry(name: str, version: str, data_hash: str, description: str, hyper: dict) -> dict:
    return {
        "name": name, "role": "fusion", "version": version, "file": f"{name}/model.onnx", "dim": DIM,
        "requires": {"image": "fashion-image", "text": "fashion-text"},
        "inputs": [{"name": "image_embedding", "type": "float32", "shape": ["batch", DIM]},
                   {"name": "text_embedding", "type": "float32", "shape": ["batch", DIM]}],
        "outputs": [{"name": "embedding", "type": "float32", "shape": ["batch", DIM]}],
        "compatibleWith": COMPAT, "trainingDataHash": data_hash, "metrics": {},
        "description": description, "hyperParameters": hyper,
    }


def manifest(profile: str, data_hash: str, entries: List[dict], index: Optional[dict] = None,
             defaults: Optional[dict] = None) -> dict:
    """The manifest of the seed models (fashion-space, fashion-image/-text/-fusion) unless another
    index ({name, version, dim}) and other defaults ({image, text, fusion or None}) are given."""
    return {
        "formatVersion": 1,
        "index": dict(index or INDEX),
        "trainingData": {"profile": profile, "hash": data_hash},
        "defaults": dict(defaults or {"image": "fashion-image", "text": "fashion-text", "fusion": "fashion-fusion"}),
        "models": entries,
    }


def validate_manifest(m: dict, root: str) -> None:
    """Checks the manifest against the model contract and the files on disk."""
    assert m["formatVersion"] == 1
    assert m["index"]["dim"] == DIM
    assert m["trainingData"]["hash"].startswith("sha256:")
    names = {e["name"]: e for e in m["models"]}
    compat = f"{m['index']['name']}@{m['index']['version']}"  # COMPAT for the seed models
    for role, name in m["defaults"].items():
        if name is None and role == "fusion":
            continue  # no fusion model: the server composes by the mean of vectors (ALLOW_MEAN_FUSION)
        assert name in names and names[name]["role"] == role, f"default {role} model {name} missing"
    for e in m["models"]:
        assert e["dim"] == DIM and e["compatibleWith"] == compat
        assert os.path.isfile(os.path.join(root, e["file"])), e["file"]
        assert e["outputs"] == [{"name": "embedding", "type": "float32", "shape": ["batch", DIM]}]
        # validation numbers name the validation split they were measured on, never the training data
        vh = e.get("training", {}).get("validationDataHash")
        if vh is not None:
            assert vh.startswith("sha256:") and len(vh) == 71 and vh != m["trainingData"]["hash"], vh
        if e["role"] == "text":
            for f in e["tokenizer"]["files"]:
                assert os.path.isfile(os.path.join(root, e["tokenizer"]["dir"], f)), f
        if e["role"] == "image":
            assert e["preprocessing"]["size"] == e["inputs"][0]["shape"][2]
        if e["role"] == "fusion":
            for r, n in e["requires"].items():
                assert names[n]["role"] == r


def _png(path: str, image: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(image).save(path, format="PNG")


@torch.no_grad()
def golden(root: str, tokenizer: WordPieceTokenizer, text_models: Dict[str, torch.nn.Module],
           image_models: Dict[str, torch.nn.Module], fusion_models: Dict[str, torch.nn.Module],
           texts: Sequence[str], images: Dict[str, np.ndarray], fusion_pairs: Optional[list] = None) -> dict:
    """Writes models/golden/golden.json (+ PNGs) computed with PyTorch on CPU."""
    gdir = os.path.join(root, "golden")
    os.makedirs(gdir, exist_ok=True)
    out: dict = {"text": [], "image": [], "fusion": []}
    for name, model in text_models.items():
        model = model.cpu().eval()
        for t in texts:
            ids = tokenizer.encode(t)
            emb = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))[0]
            out["text"].append({"model": name, "text": t, "input_ids": ids, "embedding": emb.tolist()})
    first_image = None
    for name, model in image_models.items():
        model = model.cpu().eval()
        for key, img in images.items():
            rel = f"golden/{key}.png"
            _png(os.path.join(root, rel), img)
            emb = model(augment.preprocess(torch.from_numpy(img)[None]))[0]
            out["image"].append({"model": name, "file": rel, "embedding": emb.tolist()})
            if first_image is None:
                first_image = emb
    for name, model in fusion_models.items():
        model = model.cpu().eval()
        pairs = fusion_pairs or []
        for img_emb, txt_emb in pairs:
            a = torch.tensor(img_emb, dtype=torch.float32)[None]
            b = torch.tensor(txt_emb, dtype=torch.float32)[None]
            emb = model(a, b)[0]
            out["fusion"].append({"model": name, "image_embedding": a[0].tolist(), "text_embedding": b[0].tolist(),
                                  "embedding": emb.tolist()})
    with open(os.path.join(gdir, "golden.json"), "w") as f:
        json.dump(out, f)
    return out

"""The served text tower, read back from its ONNX file into PyTorch for warm starts.

Fine-tuning starts from exactly what the server runs: models/manifest.json names the default text
model, and its ONNX initializers are the weights. The TorchScript exporter keeps parameter names for
embeddings, layer norms, biases and Linear layers it lowers to Gemm, but a Linear applied to a 3-D
tensor becomes MatMul + Add with its weight transposed under a generated name (`onnx::MatMul_327`).
Those are found through the graph: the MatMul that reads the initializer feeds an Add whose other
input is the layer's named bias (`layers.0.att.qkv.bias`), so the weight is `layers.0.att.qkv.weight`
transposed. The result is checked against the golden embeddings written at export
(models/golden/golden.json) before any training starts.
"""
from __future__ import annotations

import json
import os
from typing import Dict, Tuple

import numpy as np
import torch

from ..models import TextTransformer
from ..tokenizer import WordPieceTokenizer


class WarmStartError(RuntimeError):
    pass


def read_manifest(models_dir: str) -> dict:
    path = os.path.join(models_dir, "manifest.json")
    if not os.path.isfile(path):
        raise WarmStartError(f"{path} does not exist: --from needs a models folder with a manifest (npm run train writes one)")
    with open(path) as f:
        return json.load(f)


def model_entry(manifest: dict, name: str) -> dict:
    for e in manifest["models"]:
        if e["name"] == name:
            return e
    raise WarmStartError(f"the manifest names no model {name!r}")


def onnx_state_dict(path: str) -> Dict[str, np.ndarray]:
    """Parameter name -> array, with MatMul weights renamed after their bias and transposed back."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    consumers: Dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    state: Dict[str, np.ndarray] = {}
    for name, value in inits.items():
        if not name.startswith("onnx::"):
            state[name] = value
            continue
        users = consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != "MatMul":
            raise WarmStartError(f"{path}: initializer {name} is not the weight of one MatMul")
        adds = [n for n in consumers.get(users[0].output[0], []) if n.op_type == "Add"]
        biases = [i for n in adds for i in n.input if i.endswith(".bias") and i in inits]
        if len(biases) != 1:
            raise WarmStartError(f"{path}: the MatMul of {name} is not followed by one named bias")
        state[biases[0][: -len(".bias")] + ".weight"] = value.T.copy()
    return state


def load_text_tower(models_dir: str, name: str | None = None) -> Tuple[TextTransformer, WordPieceTokenizer, dict]:
    """The manifest's text model (default: `defaults.text`) as a TextTransformer, its tokenizer and
    manifest entry. Raises WarmStartError when the file does not map onto the architecture."""
    manifest = read_manifest(models_dir)
    entry = model_entry(manifest, name or manifest["defaults"]["text"])
    hyper = entry["hyperParameters"]
    if hyper.get("kind") != "transformer":
        raise WarmStartError(f"{entry['name']} is a {hyper.get('kind')!r} model; warm starts need the transformer text tower")
    model = TextTransformer(vocab_size=hyper["vocab_size"], d=hyper["d"], layers=hyper["layers"], heads=hyper["heads"],
                            ff=hyper["ff"], max_len=hyper["max_len"], dropout=0.0, dim=hyper["dim"])
    state = {k: torch.from_numpy(np.array(v, dtype=np.float32, copy=True)) for k, v in
             onnx_state_dict(os.path.join(models_dir, entry["file"])).items()}
    expected = {k for k in model.state_dict() if not k.startswith("mlm_")}
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise WarmStartError(f"{entry['file']} does not match the text tower: missing {missing}, unexpected {unexpected}")
    model.load_state_dict(state, strict=False)
    model.eval()
    tok = WordPieceTokenizer.load(os.path.join(models_dir, entry["tokenizer"]["dir"]))
    return model, tok, entry


@torch.no_grad()
def check_golden(models_dir: str, name: str, model: TextTransformer, tolerance: float = 1e-4) -> int:
    """Compares the loaded tower with the golden embeddings of the exported model; returns how many
    texts were checked (0 when the golden file holds none for this model)."""
    path = os.path.join(models_dir, "golden", "golden.json")
    if not os.path.isfile(path):
        return 0
    with open(path) as f:
        rows = [r for r in json.load(f).get("text", []) if r["model"] == name]
    for r in rows:
        ids = torch.tensor([r["input_ids"]])
        emb = model(ids, torch.ones_like(ids))[0].numpy()
        err = float(np.abs(emb - np.asarray(r["embedding"], dtype=np.float32)).max())
        if err > tolerance:
            raise WarmStartError(f"{name}: the weights read from ONNX give {err:.2e} away from the golden embedding of {r['text']!r}")
    return len(rows)

import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
import torch

from training import export
from training.models import DIM, FusionCombiner, ImageCNN, TextGRU, TextTransformer
from training.tokenizer import train_wordpiece
from training.tokenizer_cases import cases
from training.tests.conftest import ROOT

HASH = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(3)
    root = str(tmp_path_factory.mktemp("models"))
    tok = train_wordpiece(["red striped cotton dress", "black leather ankle boots", "navy t-shirt"] + cases(),
                          vocab_size=400, min_word_freq=1)
    tok.save(os.path.join(root, "fashion-text"))
    with open(os.path.join(root, "fashion-text", "tokenizer-cases.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "ids": tok.encode(t, truncate=False)} for t in cases()], f, ensure_ascii=False)
    text = TextTransformer(len(tok), d=32, ff=64, layers=2, heads=4).eval()
    gru = TextGRU(len(tok), d=32, hidden=32).eval()
    image = ImageCNN().eval()
    fusion = FusionCombiner().eval()
    export.export_text(text, os.path.join(root, "fashion-text/model.onnx"), 32)
    export.export_text(gru, os.path.join(root, "fashion-text-gru/model.onnx"), 32)
    export.export_image(image, os.path.join(root, "fashion-image/model.onnx"), 32)
    export.export_fusion(fusion, os.path.join(root, "fashion-fusion/model.onnx"))
    entries = [export.image_entry("fashion-image", "1.0.0", HASH, 32, "", {}),
               export.text_entry("fashion-text", "1.0.0", HASH, 32, False, "", {}),
               export.text_entry("fashion-text-gru", "1.0.0", HASH, 32, True, "", {}),
               export.fusion_entry("fashion-fusion", "1.0.0", HASH, "", {})]
    man = export.manifest("smoke", HASH, entries)
    export.validate_manifest(man, root)
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(man, f)
    rng = np.random.default_rng(0)
    img = np.full((32, 32, 3), 255, np.uint8)
    img[6:26, 10:22] = rng.integers(0, 255, (20, 12, 3), dtype=np.uint8)
    e = torch.nn.functional.normalize(torch.randn(2, DIM), dim=1).tolist()
    export.golden(root, tok, {"fashion-text": text, "fashion-text-gru": gru}, {"fashion-image": image},
                  {"fashion-fusion": fusion}, ["red dress", "blak sneekers!", "long " * 50], {"sample": img},
                  [(e[0], e[1])])
    return root


def test_onnx_files_are_valid_with_dynamic_batch_and_opset(exported):
    for name in ("fashion-text", "fashion-text-gru", "fashion-image", "fashion-fusion"):
        m = onnx.load(os.path.join(exported, name, "model.onnx"))
        onnx.checker.check_model(m)
        assert max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) >= 14
        dims = m.graph.input[0].type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch"
        assert [o.name for o in m.graph.output] == ["embedding"]


def test_golden_fixture_layout(exported):
    g = json.load(open(os.path.join(exported, "golden", "golden.json")))
    assert {t["model"] for t in g["text"]} == {"fashion-text", "fashion-text-gru"}
    assert all(len(t["embedding"]) == DIM for t in g["text"] + g["image"] + g["fusion"])
    assert all(len(t["input_ids"]) <= 32 for t in g["text"])
    assert os.path.isfile(os.path.join(exported, g["image"][0]["file"]))


def test_manifest_validation_rejects_a_missing_file(exported, tmp_path):
    man = json.load(open(os.path.join(exported, "manifest.json")))
    shutil.copytree(exported, tmp_path / "m")
    os.remove(tmp_path / "m" / "fashion-fusion" / "model.onnx")
    with pytest.raises(AssertionError):
        export.validate_manifest(man, str(tmp_path / "m"))


@pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node")),
                    reason="node with onnxruntime-node and @huggingface/transformers is needed for the runtime check")
def test_onnx_runtime_and_transformers_js_agree_with_pytorch(exported):
    r = subprocess.run(["node", os.path.join(ROOT, "training", "parity", "check-parity.mjs"), exported],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["tokenizer"]["cases"] >= 200 and summary["tokenizer"]["mismatches"] == []
    assert summary["minCosine"] >= 0.9999, summary
    assert all(t["idsMatch"] for t in summary["text"])
    assert r.returncode == 0

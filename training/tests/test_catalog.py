"""Training on a shop's own catalogue (training/catalog.py): a small catalogue with its own attribute
names and values, trained with the smoke profile in a subprocess where the seed generator cannot be
imported."""
import json
import os
import shutil
import subprocess
import sys

import onnx
import pytest

from training import catalog, export
from training.tests.catalog_fixture import make_catalog
from training.tests.conftest import ROOT
from training.tokenizer import WordPieceTokenizer, split_words

# Runs `python -m training.train ARGS` with every seed module unimportable, then prints the seed
# modules that were loaded anyway.
RUNNER = """
import importlib.abc, json, sys

class NoSeed(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "seed" or name.startswith("seed."):
            raise ImportError("the seed generator is not importable in this run: " + name)
        return None

sys.meta_path.insert(0, NoSeed())
from training import train
train.main(sys.argv[1:])
print("SEED_MODULES=" + json.dumps(sorted(m for m in sys.modules if m == "seed" or m.startswith("seed."))))
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("shop")
    cat = make_catalog(str(base / "katalog"), n=260)
    out = str(base / "models")
    r = subprocess.run([sys.executable, "-c", RUNNER, "--catalog", cat, "--out", out, "--profile", "smoke"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    seed_modules = json.loads(r.stdout.rsplit("SEED_MODULES=", 1)[1].splitlines()[0])
    with open(os.path.join(out, catalog.REPORT_FILE), encoding="utf-8") as f:
        report = json.load(f)
    with open(os.path.join(out, "manifest.json")) as f:
        man = json.load(f)
    return {"catalog": cat, "out": out, "report": report, "manifest": man, "seed_modules": seed_modules}


def test_a_catalogue_run_imports_nothing_of_the_seed(trained):
    assert trained["seed_modules"] == []


def test_the_output_is_a_models_directory_in_the_manifest_contract(trained):
    out, man = trained["out"], trained["manifest"]
    export.validate_manifest(man, out)
    assert man["index"]["name"] == catalog.INDEX_NAME and man["index"]["version"].startswith("1.0.0+")
    key = f"{man['index']['name']}@{man['index']['version']}"
    assert {e["name"]: e["compatibleWith"] for e in man["models"]} == {"catalog-image": key, "catalog-text": key}
    assert man["defaults"] == {"image": "catalog-image", "text": "catalog-text", "fusion": None}
    assert man["trainingData"]["hash"] == trained["report"]["catalog"]["trainHash"]
    for e in man["models"]:
        m = onnx.load(os.path.join(out, e["file"]))
        onnx.checker.check_model(m)
        assert [i.name for i in m.graph.input] == [i["name"] for i in e["inputs"]]
        assert e["training"]["validationDataHash"] == trained["report"]["catalog"]["validationHash"]
    golden = json.load(open(os.path.join(out, "golden", "golden.json")))
    assert golden["text"] and golden["image"] and golden["fusion"] == []


@pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node")),
                    reason="node with onnxruntime-node and @huggingface/transformers is needed for the runtime check")
def test_the_server_runtime_reproduces_the_exported_models(trained):
    r = subprocess.run(["node", os.path.join(ROOT, "training", "parity", "check-parity.mjs"), trained["out"]],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    summary = json.loads(r.stdout)
    assert r.returncode == 0 and summary["ok"], r.stdout[-2000:] + r.stderr[-2000:]
    assert summary["tokenizer"]["cases"] > 200 and summary["image"] and summary["text"]


def test_heads_vocabulary_and_phrases_come_from_the_data(trained):
    report = trained["report"]
    heads = report["attributeHeads"]
    assert {"farbe", "schnitt"} <= set(heads)
    assert set(heads["farbe"]["values"]) == {"rot", "blau", "grün", "gelb"}
    assert set(heads["schnitt"]["values"]) == {"kleid", "hose", "jacke"}
    # sizes are many-valued and the season is on too few products: no heads
    assert "groesse" not in heads and "saison" not in heads
    assert {"groesse", "saison"} <= set(report["attributesWithoutHead"])
    # the titles say "<marke> <schnitt> in <farbe>": phrases use that order
    assert report["phraseOrder"].index("schnitt") < report["phraseOrder"].index("farbe")
    tok = WordPieceTokenizer.load(os.path.join(trained["out"], "catalog-text"))
    for word in ("rot", "blau", "grün", "gelb", "kleid", "hose", "jacke", "artikel"):
        assert all(w in tok.ids for w in split_words(word)), word
    hyper = {e["name"]: e["hyperParameters"] for e in trained["manifest"]["models"]}
    assert set(hyper["catalog-image"]["attributeHeads"]) == set(heads)


def test_validation_numbers_beat_chance(trained):
    report = trained["report"]
    v = report["validation"]
    assert report["catalog"]["validation"] == v["gallery"] > 10
    assert report["bestEpoch"] >= 1 and report["epochs"][report["bestEpoch"] - 1]["epoch"] == report["bestEpoch"]
    assert v["val_text_image_p@10"] > 1.5 * v["chance_text_image_p@10"]
    assert v["val_text_image_r@10"] > v["chance_text_image_r@10"]
    assert v["val_product_text_r@10"] > v["chance_product_text_r@10"]
    for k in ("farbe", "schnitt"):
        assert v[f"val_head_accuracy:{k}"] > v[f"chance_head_accuracy:{k}"] + 0.2, k
    assert set(report["notTrained"]) and report["trained"] == ["catalog-image", "catalog-text"]


def test_the_split_is_a_hash_of_the_id_and_test_products_stay_out(tmp_path):
    ids = [f"sku-{i}" for i in range(2000)]
    splits = [catalog.split_of(i, 0.15) for i in ids]
    assert splits == [catalog.split_of(i, 0.15) for i in ids]
    assert 0.12 < splits.count("validation") / len(ids) < 0.18
    cat = make_catalog(str(tmp_path / "k"), n=60)
    lines = open(os.path.join(cat, "products.jsonl"), encoding="utf-8").read().splitlines()
    marked = json.loads(lines[0])
    marked["split"] = "test"
    lines[0] = json.dumps(marked, ensure_ascii=False)
    broken = json.loads(lines[1])
    broken["image"] = "bilder/fehlt.png"
    lines[1] = json.dumps(broken, ensure_ascii=False)
    with open(os.path.join(cat, "products.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    data = catalog.load_catalog(cat, 32, catalog.settings_for("smoke"), progress=lambda _m: None)
    ids = {p.id for p in data.products}
    assert marked["id"] not in ids and broken["id"] not in ids and len(ids) == 58
    assert data.summary["heldOutTestSplit"] == 1 and data.summary["skippedImageIds"] == [broken["id"]]
    assert data.images.shape == (58, 32, 32, 3)
    assert {data.products[i].id for i in data.validation} == {i for i in ids if catalog.split_of(i, 0.15) == "validation"}


def test_a_product_line_is_checked_as_the_server_checks_it(tmp_path):
    for bad, message in ((dict(image="../x.png"), "inside the catalogue"), (dict(title=""), '"title"'),
                         (dict(attributes={"farbe": "rot"}), '"attributes"')):
        p = {"id": "a", "title": "t", "image": "a.png", "price": 1, "inStock": True, "attributes": {}, **bad}
        d = tmp_path / message.strip('"').replace(" ", "-")
        d.mkdir()
        (d / "products.jsonl").write_text(json.dumps(p) + "\n", encoding="utf-8")
        with pytest.raises(catalog.CatalogError, match=message):
            catalog.read_products(str(d))


def test_the_seed_models_are_not_overwritten_by_default(tmp_path):
    with pytest.raises(SystemExit, match="--replace-models"):
        catalog.check_output(os.path.join(ROOT, "models"))
    catalog.check_output(str(tmp_path))  # an empty or new directory is fine

"""Attributes from pictures (training/attributes.py): head shapes, probabilities, ONNX export and its
parity with the PyTorch heads, calibration helpers, the split guard, a smoke training on the
fixture catalogue, and the committed model's manifest entry."""
import json
import os
import shutil

import numpy as np
import onnx
import pytest
import torch

from training import attributes as A
from training import catalog as shop
from training.calibration import ece, fit_temperature, softmax, threshold_for_precision
from training.data import ForbiddenSplitError
from training.models import DIM, ImageCNN
from training.tests.catalog_fixture import make_catalog
from training.tests.conftest import ROOT

SIZES = {"category": 10, "color": 24, "colorFamily": 8, "pattern": 7}


def unit(n, seed=0):
    return torch.nn.functional.normalize(torch.randn(n, DIM, generator=torch.Generator().manual_seed(seed)), dim=1)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return A.CalibratedAttributes(A.AttributeHeads(SIZES, hidden=16), [0.7, 1.0, 1.3, 2.0]).eval()


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("attrs") / "model.onnx")
    A.export_onnx(model, path)
    return path


def test_one_probability_output_per_attribute(model):
    with torch.no_grad():
        out = model(unit(5))
    assert [tuple(o.shape) for o in out] == [(5, v) for v in SIZES.values()]
    for o in out:
        assert torch.all(o >= 0)
        assert torch.allclose(o.sum(dim=1), torch.ones(5), atol=1e-5)


def test_linear_heads_too():
    heads = A.AttributeHeads({"a": 3, "b": 2}, hidden=0)
    assert all(isinstance(h, torch.nn.Linear) for h in heads.heads)
    assert [tuple(t.shape) for t in heads(unit(4))] == [(4, 3), (4, 2)]


def test_temperature_is_baked_in(model):
    x = unit(6, seed=1)
    with torch.no_grad():
        logits = model.heads(x)
        probs = model(x)
    for lg, p, t in zip(logits, probs, [0.7, 1.0, 1.3, 2.0]):
        assert np.allclose(p.numpy(), softmax(lg.numpy(), t), atol=1e-6)


def test_onnx_graph_contract(exported):
    m = onnx.load(exported)
    onnx.checker.check_model(m)
    assert max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) == 14
    assert [i.name for i in m.graph.input] == ["embedding"]
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == DIM
    assert [o.name for o in m.graph.output] == list(SIZES)
    for o, v in zip(m.graph.output, SIZES.values()):
        d = o.type.tensor_type.shape.dim
        assert d[0].dim_param == "batch" and d[1].dim_value == v


@pytest.mark.parametrize("batch", [1, 7, 300])
def test_onnx_matches_pytorch_with_any_batch(model, exported, batch):
    x = unit(batch, seed=batch).numpy()
    got = A.run_onnx_numpy(exported, x)
    with torch.no_grad():
        ref = [t.numpy() for t in model(torch.from_numpy(x))]
    for name, r in zip(SIZES, ref):
        assert got[name].shape == r.shape
        assert np.abs(got[name] - r).max() < 1e-5
        assert np.allclose(got[name].sum(1), 1.0, atol=1e-5)


@pytest.mark.skipif(not A.node_available(), reason="node with onnxruntime-node is needed for the runtime check")
def test_onnxruntime_matches_pytorch(model, exported):
    p = A.onnx_parity(model, exported, unit(33, seed=9).numpy())
    assert p["onnxruntime"] < 1e-5 and p["numpy"] < 1e-5


# ---------------------------------------------------------------- calibration helpers
def test_ece_is_zero_when_confidence_matches_accuracy():
    probs = np.array([[0.75, 0.25]] * 4)
    assert ece(probs, np.array([0, 0, 0, 1])) == pytest.approx(0.0)
    assert ece(probs, np.array([0, 0, 0, 0])) == pytest.approx(0.25)


def test_fit_temperature_recovers_the_generating_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (20000, 5))
    p = softmax(logits, 2.5)
    labels = np.array([rng.choice(5, p=row) for row in p])
    assert fit_temperature([(logits, labels)]) == pytest.approx(2.5, rel=0.05)


def test_threshold_for_precision():
    conf = np.array([0.99, 0.98, 0.97, 0.9, 0.8, 0.7])
    right = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    assert threshold_for_precision(conf, right, 0.95, 1) == pytest.approx(0.9)
    assert threshold_for_precision(conf, right, 0.5, 1) == pytest.approx(0.7)
    # a mistake at the top counts once there are min_support predictions
    right = np.array([0, 1, 1, 1, 1, 1], dtype=bool)
    assert threshold_for_precision(conf, right, 0.95, 1) > 0.99
    # 0.8 is reached again by the 5 most confident, but the 3 and 4 most confident fall short: the
    # threshold stays above them (where fewer than min_support predictions are not measured)
    assert threshold_for_precision(conf, right, 0.8, 3) == pytest.approx(0.98)
    assert threshold_for_precision(conf, right, 0.6, 3) == pytest.approx(0.7)


# ---------------------------------------------------------------- splits
def _split_catalogue(directory, n=200, seed=5):
    """The fixture catalogue with a split on every line: every tenth product is a test product,
    whose image file is not an image (reading it would fail loudly)."""
    make_catalog(directory, n, seed)
    path = os.path.join(directory, "products.jsonl")
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    for i, p in enumerate(rows):
        p["split"] = "test" if i % 10 == 9 else ("validation" if i % 10 == 8 else "train")
        if p["split"] == "test":
            with open(os.path.join(directory, p["image"]), "wb") as f:
                f.write(b"not an image")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in rows))
    return directory, rows


def test_the_test_split_is_refused():
    with pytest.raises(ForbiddenSplitError):
        A.require_training_split("test")
    A.require_training_split("validation")


def test_test_products_are_dropped_and_photos_of_the_test_split_or_held_out_family_refused(tmp_path):
    d, rows = _split_catalogue(str(tmp_path / "shop"))
    cat = A.read_catalogue(d)
    assert cat.skipped_test == 20 and not cat.stopped_at_test
    assert not [it for it in cat.items if it.split not in ("train", "validation")]
    assert {it.id for it in cat.items} == {p["id"] for p in rows if p["split"] != "test"}
    with pytest.raises(ForbiddenSplitError):
        cat.split("test")
    val = next(p for p in rows if p["split"] == "validation")
    test = next(p for p in rows if p["split"] == "test")

    def photos(name, row):
        f = tmp_path / name
        f.write_text(json.dumps(row) + "\n")
        return A.read_photos(cat, str(f))

    ok = {"id": "q1", "split": "validation", "productId": val["id"], "image": val["image"], "family": "in-distribution"}
    assert photos("realshot-indist-validation.jsonl", ok).ids == ["q1"]
    with pytest.raises(ForbiddenSplitError):
        photos("realshot-indist-test.jsonl", ok)
    with pytest.raises(ForbiddenSplitError):
        photos("p.jsonl", dict(ok, split="test", productId=test["id"]))
    with pytest.raises(ForbiddenSplitError):
        photos("p.jsonl", dict(ok, family="held-out"))
    with pytest.raises(ForbiddenSplitError):
        photos("p.jsonl", dict(ok, productId=next(p["id"] for p in rows if p["split"] == "train")))


def test_a_seed_catalogue_is_not_read_past_its_first_test_product(tmp_path):
    d, rows = _split_catalogue(str(tmp_path / "seedlike"), n=40)
    rows.sort(key=lambda p: ["train", "validation", "test"].index(p["split"]))
    lines = [json.dumps(p) for p in rows]
    first_test = next(i for i, p in enumerate(rows) if p["split"] == "test")
    lines.insert(first_test + 1, "this line is never parsed")
    with open(os.path.join(d, "products.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"generatorVersion": "test"}, f)
    cat = A.read_catalogue(d)
    assert cat.stopped_at_test and len(cat.items) == first_test


# ---------------------------------------------------------------- smoke training
def test_smoke_training_on_a_fixture_catalogue(tmp_path, monkeypatch):
    d, rows = _split_catalogue(str(tmp_path / "shop"), n=240)
    test_images = {os.path.join(d, p["image"]) for p in rows if p["split"] == "test"}
    opened = []
    real = shop._load_image

    def spy(args):
        opened.append(args[0])
        return real(args)

    monkeypatch.setattr(shop, "_load_image", spy)
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(os.path.join(ROOT, "models", "manifest.json"), models / "manifest.json")
    before = json.load(open(models / "manifest.json"))
    torch.manual_seed(0)
    out = str(models / A.MODEL_NAME)
    report = A.run(d, out, A.settings_for("smoke"), store=None, tower=ImageCNN().eval(), models_dir=None,
                   manifest=str(models / "manifest.json"), photos_file=None)

    assert opened and not test_images.intersection(opened)
    assert report["products"] == {"train": 192, "validation": 24} and report["testProductsDropped"] == 24
    assert set(report["heads"]) == {"farbe", "schnitt", "marke"}   # groesse is many-valued, saison rare
    assert report["parity"]["heads"]["numpy"] < 1e-5

    man = json.load(open(models / "manifest.json"))
    others = [e for e in before["models"] if e["name"] != A.MODEL_NAME]
    assert [e for e in man["models"] if e["name"] != A.MODEL_NAME] == others
    assert [e["name"] for e in man["models"]].count(A.MODEL_NAME) == 1
    entry = next(e for e in man["models"] if e["name"] == A.MODEL_NAME)
    assert entry["role"] == "attributes" and entry["requires"] == ["fashion-image"]
    assert entry["inputs"] == [{"name": "embedding", "type": "float32", "shape": ["batch", DIM]}]
    assert [o["name"] for o in entry["outputs"]] == list(entry["labels"])
    fusion = entry["categoryFusion"]
    assert fusion["chosenOn"] == "validation" and fusion["k"] in A.settings_for("smoke").ks
    assert 0 <= fusion["classifierWeight"] <= 1 and 0 <= entry["minConfidence"] <= 1.0 + 1e-9
    assert entry["trainingData"]["hash"].startswith("sha256:")
    own = json.load(open(os.path.join(out, "model.json")))   # what src/attributes reads first
    assert own == dict(entry, file="model.onnx")

    g = onnx.load(os.path.join(out, "model.onnx"))
    assert [o.name for o in g.graph.output] == list(entry["labels"])
    probs = A.run_onnx_numpy(os.path.join(out, "model.onnx"), unit(3).numpy())
    for name, values in entry["labels"].items():
        assert probs[name].shape == (3, len(values))
        assert np.allclose(probs[name].sum(1), 1.0, atol=1e-5)


# ---------------------------------------------------------------- the committed model
COMMITTED = os.path.join(ROOT, "models", A.MODEL_NAME, "model.onnx")


@pytest.mark.skipif(not os.path.isfile(COMMITTED), reason="models/fashion-attributes is not trained yet")
def test_the_committed_model_matches_its_manifest_entry():
    man = json.load(open(os.path.join(ROOT, "models", "manifest.json")))
    entry = next(e for e in man["models"] if e["name"] == A.MODEL_NAME)
    assert entry["file"] == f"{A.MODEL_NAME}/model.onnx" and entry["requires"] == ["fashion-image"]
    for name in ("category", "color", "colorFamily", "pattern", "material"):
        assert name in entry["labels"]
    assert len(entry["labels"]["color"]) == 24 and len(entry["labels"]["colorFamily"]) == 8
    g = onnx.load(COMMITTED)
    assert [o.name for o in g.graph.output] == [o["name"] for o in entry["outputs"]] == list(entry["labels"])
    for o in g.graph.output:
        assert o.type.tensor_type.shape.dim[1].dim_value == len(entry["labels"][o.name])
    probs = A.run_onnx_numpy(COMMITTED, unit(4).numpy())
    assert all(np.allclose(p.sum(1), 1.0, atol=1e-5) for p in probs.values())
    f = entry["categoryFusion"]
    assert f["attribute"] == "category" and f["chosenOn"] == "validation"
    assert 0 < entry["minConfidence"] <= 1 and 0 < f["filterConfidence"] <= 1
    own = json.load(open(os.path.join(ROOT, "models", A.MODEL_NAME, "model.json")))
    assert own == dict(entry, file="model.onnx")

"""Outfit compatibility: features, model shapes, pseudo-labelling and the ONNX export (fast)."""

import json
import os

import numpy as np
import pytest
import torch

from training.outfits.features import FEATURE_ATTRIBUTES, MAX_ITEMS, FeatureSpace, build_vocabulary
from training.outfits.model import OutfitCompatibility
from training.outfits.train import auc, fit, predict, pseudo_label

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def product(pid, group, color="black", family="neutral", pattern="solid", occasion=("casual",), season=("summer",), gender="women"):
    return {"id": pid, "attributes": {"group": [group], "color": [color], "colorFamily": [family], "pattern": [pattern],
                                      "material": ["cotton"], "occasion": list(occasion), "season": list(season),
                                      "gender": [gender], "brand": ["Acme"]}}


PRODUCTS = [
    product("t", "top", "red", "red", "stripes"),
    product("b", "bottom", "navy", "blue", occasion=("casual", "work")),
    product("s", "shoes", season=("summer", "all-season")),
    product("g", "bag", "white", gender="unisex"),
    product("x", "shoes", "mint", "green", "dots", occasion=("party",), gender="men"),
]


def test_vocabulary_is_sorted_per_attribute_and_blocks_are_contiguous():
    space = FeatureSpace(build_vocabulary(PRODUCTS))
    assert space.vocabulary["group"] == ["bag", "bottom", "shoes", "top"]
    assert space.vocabulary["season"] == ["all-season", "summer"]
    spec = space.to_json()
    assert [a["name"] for a in spec["attributes"]] == list(FEATURE_ATTRIBUTES)
    offset = 0
    for a in spec["attributes"]:
        assert a["offset"] == offset
        offset += len(a["values"])
    assert spec["dim"] == offset == space.dim


def test_item_features_are_multi_hot_and_ignore_unknown_values():
    space = FeatureSpace(build_vocabulary(PRODUCTS))
    x = space.item(PRODUCTS[2])
    on = {(a, v) for a in FEATURE_ATTRIBUTES for v in space.vocabulary[a] if x[space.offsets[a] + space.index[a][v]] == 1}
    assert ("season", "summer") in on and ("season", "all-season") in on and ("group", "shoes") in on
    assert x.sum() == 9  # 8 attributes, season has two values; brand is not a feature
    unknown = space.item(product("u", "outerwear", "teal", "teal"))
    assert unknown[space.offsets["group"]:space.offsets["group"] + len(space.vocabulary["group"])].sum() == 0


def test_outfit_pads_to_max_items_with_a_mask():
    space = FeatureSpace(build_vocabulary(PRODUCTS))
    x, m = space.outfit(PRODUCTS[:3])
    assert x.shape == (MAX_ITEMS, space.dim) and m.tolist() == [1, 1, 1, 0]
    assert x[3].sum() == 0
    with pytest.raises(ValueError, match="1 to 4 items"):
        space.outfit(PRODUCTS)


def test_model_scores_a_batch_and_ignores_padding():
    torch.manual_seed(0)
    space = FeatureSpace(build_vocabulary(PRODUCTS))
    model = OutfitCompatibility(space.dim, hidden=16).eval()
    x, m = space.batch([PRODUCTS[:3], PRODUCTS[:4]])
    with torch.no_grad():
        s = model(torch.from_numpy(x), torch.from_numpy(m))
        assert s.shape == (2,) and bool(((s > 0) & (s < 1)).all())
        noisy = torch.from_numpy(x).clone()
        noisy[0, 3] = 1.0  # whatever sits in a padded slot does not change the score
        assert torch.allclose(model(noisy, torch.from_numpy(m))[0], s[0])


def test_pseudo_label_keeps_confident_predictions_only():
    keep, labels = pseudo_label(np.array([0.99, 0.5, 0.02, 0.9, 0.96]), 0.95)
    assert keep.tolist() == [0, 2, 4] and labels.tolist() == [1, 0, 1]
    with pytest.raises(ValueError):
        pseudo_label(np.array([0.5]), 0.4)


def test_auc_matches_pairwise_definition():
    y = np.array([1, 0, 1, 0, 1])
    p = np.array([0.9, 0.3, 0.3, 0.1, 0.6])
    pairs = [(a, b) for a in np.nonzero(y == 1)[0] for b in np.nonzero(y == 0)[0]]
    expected = np.mean([1.0 if p[a] > p[b] else 0.5 if p[a] == p[b] else 0.0 for a, b in pairs])
    assert auc(y, p) == pytest.approx(expected)


def test_fit_learns_a_set_rule_from_few_examples():
    # compatible when the items share an occasion (the intersection the min pool exposes)
    rng = np.random.default_rng(0)
    occasions = ["casual", "work", "party"]
    rows, labels = [], []
    for i in range(600):
        items = [product(f"{i}-{g}", g, occasion=tuple(rng.choice(occasions, size=rng.integers(1, 3), replace=False))) for g in ("top", "bottom", "shoes")]
        rows.append(items)
        labels.append(float(bool(set.intersection(*(set(p["attributes"]["occasion"]) for p in items)))))
    space = FeatureSpace(build_vocabulary([p for r in rows for p in r]))
    x, m = space.batch(rows)
    y = np.array(labels, dtype=np.float32)
    model = fit(x[:500], m[:500], y[:500], space.dim, epochs=60, seed=0, hidden=16)
    accuracy = ((predict(model, x[500:], m[500:]) >= 0.5) == (y[500:] == 1)).mean()
    majority = max(y[500:].mean(), 1 - y[500:].mean())
    assert accuracy >= 0.9 > majority + 0.15


def test_exported_model_matches_its_golden_fixture():
    import onnx

    folder = os.path.join(ROOT, "models", "fashion-outfit")
    meta = json.load(open(os.path.join(folder, "model.json")))
    graph = onnx.load(os.path.join(folder, "model.onnx"))
    assert graph.opset_import[0].version == meta["opset"] == 14
    assert [i.name for i in graph.graph.input] == ["items", "mask"]
    batch_dim = graph.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param  # dynamic batch
    golden = json.load(open(os.path.join(folder, "golden.json")))
    space = FeatureSpace({a["name"]: a["values"] for a in meta["features"]["attributes"]})
    products = {p["id"]: p for p in golden["products"]}
    x, m = space.batch([[products[i] for i in o] for o in golden["outfits"]])
    np.testing.assert_array_equal(x, np.array(golden["features"], dtype=np.float32))
    np.testing.assert_array_equal(m, np.array(golden["mask"], dtype=np.float32))


def test_training_reads_train_and_validation_outfits_only(tmp_path, monkeypatch):
    """The trainer learns from train rows, reports on validation rows, and never uses a test row."""
    from seed.generator.catalog import build_catalog
    from seed.generator.writer import write_catalog
    from training.outfits import train as outfit_train

    write_catalog(build_catalog("smoke"), tmp_path / "catalog", images=False)
    asked: list[str] = []
    real_load = outfit_train.load_products

    def recording_load(path, ids=None):
        if ids is not None:
            asked.extend(ids)
        return real_load(path, ids)

    monkeypatch.setattr(outfit_train, "load_products", recording_load)
    out = tmp_path / "model"
    code = outfit_train.main(["--catalog", str(tmp_path / "catalog"), "--out", str(out), "--golden-catalog", str(tmp_path / "catalog"),
                              "--epochs", "2", "--student-epochs", "1", "--rounds", "1"])
    assert code == 0
    meta = json.loads((out / "model.json").read_text())
    assert meta["evaluation"]["split"] == "validation"
    assert meta["evaluation"]["supervised"]["fitbQuestions"] > 0
    assert asked and not any(pid.startswith("p-test-") for pid in asked)

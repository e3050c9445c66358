"""The picture category model (training/category.py): the classifier on the image tower's
convolutions, its ONNX export and parity, and a smoke training on the fixture catalogue that never
opens a test-split picture and writes a manifest entry the server reads (without fusion settings,
which are chosen afterwards on validation)."""
import argparse
import json
import os
import shutil

import numpy as np
import torch

from training import catalog as shop
from training import category as C
from training.models import ImageCNN
from training.tests.conftest import ROOT
from training.tests.test_attributes import _split_catalogue


def test_the_classifier_reads_pictures_and_its_calibrated_output_is_a_distribution():
    torch.manual_seed(0)
    tower = ImageCNN().eval()
    net = C.CategoryNet(tower.features, 128, 5).eval()
    p = C.Calibrated(net, 0.5)(torch.randn(3, 3, 32, 32))
    assert p.shape == (3, 5)
    assert torch.allclose(p.sum(1), torch.ones(3), atol=1e-5)


def test_grey_turns_about_a_tenth_of_a_batch_grey_and_leaves_the_others():
    x = torch.rand(400, 3, 8, 8)
    g = C.grey(x, torch.Generator().manual_seed(1))
    grey = (g[:, 0] == g[:, 1]).flatten(1).all(dim=1) & (g[:, 1] == g[:, 2]).flatten(1).all(dim=1)
    assert 20 <= int(grey.sum()) <= 70
    assert torch.equal(g[~grey], x[~grey])


def test_variant_of_reads_the_variant_from_a_product_id():
    assert C.variant_of("p-train-00012-3") == 3
    assert C.variant_of("shirt") == 0


def test_smoke_training_on_a_fixture_catalogue(tmp_path, monkeypatch):
    d, rows = _split_catalogue(str(tmp_path / "shop"), n=240)
    test_images = {os.path.join(d, p["image"]) for p in rows if p["split"] == "test"}
    opened = []
    real = shop._load_image

    def spy(a):
        opened.append(a[0])
        return real(a)

    monkeypatch.setattr(shop, "_load_image", spy)
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(os.path.join(ROOT, "models", "manifest.json"), models / "manifest.json")
    args = argparse.Namespace(catalog=d, checkpoint=None, out=str(models / C.MODEL_NAME), manifest=str(models / "manifest.json"),
                              variants=99, epochs=1, per_epoch=128, batch=32, lr=1e-3, validation_products=50, seed=0,
                              threads=0, attribute="schnitt")
    torch.manual_seed(0)
    report = C.run(args, ImageCNN().eval(), None)

    assert opened and not test_images.intersection(opened)
    assert report["labels"] and report["bestEpoch"] == 1
    assert report["parity"]["checked"] is False or report["parity"]["maxAbsDiff"] < 1e-4
    assert os.path.isfile(models / C.MODEL_NAME / "model.onnx")
    entry = next(m for m in json.load(open(models / "manifest.json"))["models"] if m["role"] == "category")
    assert entry["attribute"] == "schnitt" and entry["labels"] == report["labels"]
    assert entry["requires"] == ["fashion-image"] and "categoryFusion" not in entry
    image = next(m for m in json.load(open(models / "manifest.json"))["models"] if m["name"] == "fashion-image")
    assert entry["preprocessing"] == image["preprocessing"]


def test_the_committed_model_is_described_in_the_manifest_with_its_fusion_settings():
    manifest = json.load(open(os.path.join(ROOT, "models", "manifest.json")))
    entry = next(m for m in manifest["models"] if m["role"] == "category")
    assert os.path.isfile(os.path.join(ROOT, "models", entry["file"]))
    assert entry["outputs"][0]["shape"] == ["batch", len(entry["labels"])]
    f = entry["categoryFusion"]
    assert all(0 <= f[k] <= 1 for k in ("pictureWeight", "classifierWeight", "filterConfidence"))
    report = json.load(open(os.path.join(ROOT, "models", C.MODEL_NAME, "training-report.json")))
    assert report["labels"] == entry["labels"] and report["parity"]["maxAbsDiff"] < 1e-4
    assert np.isclose(report["validation"]["clean"]["accuracy"], entry["validation"]["clean"]["accuracy"])

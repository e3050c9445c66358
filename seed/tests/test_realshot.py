import random

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from conftest import read_jsonl, read_qrels
from seed.generator.realshot import (HELDOUT_FAMILY, IN_DISTRIBUTION_FAMILY, SKIN_TONES, _compose,
                                     _perspective, draw_held_out, motion_kernel, occluder, photograph, skin_tone)
from seed.generator.render import render_layers

FAMILIES = {"held-out": ("realshot", "rq"), "in-distribution": ("realshot-indist", "rqi")}
OPTIONAL = {"motion-blur", "occlusion", "crop"}
SHARED = {"surface", "crop"}  # a plain background and framing, which training imitates too


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("split", ["validation", "test"])
def test_photo_files_and_judgements(smoke_dir, by_id, split, family):
    name, prefix = FAMILIES[family]
    rows = read_jsonl(smoke_dir / f"queries/{name}-{split}.jsonl")
    assert [r["id"] for r in rows] == [f"{prefix}-{split}-{n:05d}" for n in range(10)]
    assert read_qrels(smoke_dir / f"queries/{name}-{split}.qrels") == [(r["id"], r["productId"], 2) for r in rows]
    assert len({r["productId"] for r in rows}) == len(rows)
    for r in rows:
        assert list(r) == ["id", "split", "productId", "image", "family", "degradations"]
        assert r["family"] == family and r["image"] == f"queries/{name}/{r['id']}.jpg"
        assert by_id[r["productId"]]["split"] == split
        img = Image.open(smoke_dir / r["image"])
        assert img.format == "JPEG" and img.size == (128, 128)
        jpeg = r["degradations"][-1]
        assert jpeg["type"] == "jpeg"
        assert JpegImagePlugin.get_sampling(img) == {"4:4:4": 0, "4:2:0": 2}[jpeg["subsampling"]]
    assert not (smoke_dir / f"queries/{name}-train.jsonl").exists()


@pytest.mark.parametrize("split", ["validation", "test"])
def test_held_out_photos_use_only_held_out_steps(smoke_dir, split):
    for r in read_jsonl(smoke_dir / f"queries/realshot-{split}.jsonl"):
        steps = [d["type"] for d in r["degradations"]]
        assert set(steps) <= set(HELDOUT_FAMILY) | SHARED, steps
        assert steps[:2] == ["surface", "perspective"] and steps[-1] == "jpeg" and "shading" in steps
        assert len(set(steps) & OPTIONAL) in (2, 3)
        jpeg = r["degradations"][-1]
        assert jpeg["subsampling"] == "4:2:0" and 20 <= jpeg["quality"] <= 45
        for d in r["degradations"]:
            if d["type"] == "perspective":
                assert all(abs(v) <= 0.12 for corner in d["corners"] for v in corner)
            elif d["type"] == "motion-blur":
                assert 3 <= d["length"] <= 9
            elif d["type"] == "shading":
                assert 0.55 <= d["from"] <= d["to"] <= 1.15 and 0.25 <= d["shadow"]["strength"] <= 0.45


@pytest.mark.parametrize("split", ["validation", "test"])
def test_in_distribution_photos_use_only_what_training_imitates(smoke_dir, split):
    for r in read_jsonl(smoke_dir / f"queries/realshot-indist-{split}.jsonl"):
        steps = [d["type"] for d in r["degradations"]]
        assert set(steps) <= set(IN_DISTRIBUTION_FAMILY) and "crop" in steps and steps[-1] == "jpeg"
        assert not set(steps) & (set(HELDOUT_FAMILY) - {"jpeg"})
        assert r["degradations"][-1]["subsampling"] == "4:4:4"


def test_the_families_differ_in_every_distinctive_step():
    assert not (set(HELDOUT_FAMILY) - {"jpeg"}) & set(IN_DISTRIBUTION_FAMILY)
    assert not set(HELDOUT_FAMILY) & SHARED


def _on_skin_polyline(rgb):
    p = np.asarray(rgb, dtype=float)
    tones = np.asarray(SKIN_TONES, dtype=float)
    best = np.inf
    for a, b in zip(tones[:-1], tones[1:]):
        t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0, 1)
        best = min(best, np.linalg.norm(p - (a + t * (b - a))))
    return best <= 1.0


def test_occluders_are_skin_toned_and_cover_a_fifth_of_the_garment_at_most(bases):
    rng = random.Random(3)
    assert all(_on_skin_polyline(skin_tone(rng)) for _ in range(200))
    spec = {"source": "test", "index": 0, "color": [28, 38, 92], "pattern": "solid", "material": "cotton", "seed": 1}
    covers = []
    for i in range(40):
        steps = draw_held_out(random.Random(i))
        d = {s["type"]: s for s in steps}
        if "occlusion" not in d:
            continue
        assert _on_skin_polyline(d["occlusion"]["skin"])
        rgb, alpha = render_layers(bases["test"][i], {**spec, "index": i}, 128)
        layer = _perspective(Image.fromarray(np.dstack([rgb, alpha * 255]).round().astype(np.uint8), "RGBA"),
                             d["perspective"]["corners"])
        _, garment = _compose(Image.new("RGB", (128, 128)), layer, d.get("crop"))
        shape = occluder(128, garment, d["occlusion"])
        inside = garment > 0.5
        cover = float((shape * inside).sum() / inside.sum())
        covers.append(cover)
        assert 0.8 * d["occlusion"]["coverage"] <= cover <= 1.2 * d["occlusion"]["coverage"], (i, cover)
    assert len(covers) >= 15 and 0.04 <= min(covers) and max(covers) <= 0.24


def test_motion_kernel_is_a_normalised_line():
    k = motion_kernel(7, 0.0)
    assert k.shape == (7, 7) and abs(k.sum() - 1.0) < 1e-6
    assert np.allclose(k[3], 1 / 7) and k[3].sum() > 0.999  # horizontal: the middle row, evenly
    d = motion_kernel(5, 45.0)
    assert d.shape == (5, 5) and np.trace(d) > 0.999  # diagonal
    v = motion_kernel(4, 90.0)
    assert v.shape == (5, 5) and v[:, 2].sum() > 0.999 and np.allclose(v[:, 2], v[::-1, 2])  # vertical, centred


def test_photograph_is_deterministic_and_shading_reaches_the_garment(bases):
    spec = {"source": "test", "index": 1, "color": [244, 244, 242], "pattern": "solid", "material": "cotton",
            "seed": 5}
    surface = {"type": "surface", "rgb": [150, 140, 130]}
    flat = [surface, {"type": "perspective", "corners": [[0, 0]] * 4}]
    shading = {"type": "shading", "angle": 0.0, "from": 0.55, "to": 1.15,
               "shadow": {"shape": "band", "center": [0.5, 0.5], "width": 0.01, "angle": 0.0, "strength": 0.25,
                          "softness": 0.03}}
    plain = np.asarray(photograph(bases["test"][1], spec, flat), dtype=float)
    shaded = np.asarray(photograph(bases["test"][1], spec, flat + [shading]), dtype=float)
    again = np.asarray(photograph(bases["test"][1], spec, flat + [shading]), dtype=float)
    assert np.array_equal(shaded, again)
    garment = plain.min(axis=2) > 200  # the white garment on the darker surface
    left, right = garment.copy(), garment.copy()
    left[:, 40:] = False
    right[:, :88] = False
    assert left.any() and right.any()
    ratio = shaded / np.maximum(plain, 1)
    assert ratio[left].mean() < 0.85 and ratio[right].mean() > 0.95  # darker on the left, over the garment too
    with pytest.raises(ValueError, match="unknown degradation 'fisheye'"):
        photograph(bases["test"][1], spec, [{"type": "fisheye"}])

"""The query lexicon's inputs (train-split products, colour anchors) and the npm step."""
import json
import os

import numpy as np
import pytest

from seed.generator.vocab import COLOR_RGB, COLORS
from training import lexicon
from training.data import ROOT, build_training_catalogue

HASH = "sha256:" + "cd" * 32


@pytest.fixture(scope="module")
def smoke():
    cat = build_training_catalogue("smoke", lambda _msg: None)
    return cat.products_of("train"), cat.products_of("validation")


def test_lexicon_products_are_the_train_products_as_compact_json_lines(smoke, tmp_path):
    train, validation = smoke
    path = lexicon.write_lexicon_products(train, "smoke", str(tmp_path))
    assert path == str(tmp_path / "lexicon-products-smoke.jsonl")
    text = open(path, encoding="utf-8").read()
    assert text.endswith("\n") and "\r" not in text
    lines = text.split("\n")[:-1]
    assert len(lines) == len(train) == 200
    for line, p in zip(lines, train):
        row = json.loads(line)
        assert row == {"title": p["title"], "description": p["description"], "brand": p["brand"],
                       "attributes": p["attributes"]}
        assert line == json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    with pytest.raises(ValueError, match="train-split products only"):
        lexicon.write_lexicon_products(validation, "smoke", str(tmp_path))


def test_colour_anchors_are_the_palette_colours_the_solid_products_show(smoke, tmp_path):
    train, _ = smoke
    path = lexicon.write_colour_anchors(train, "smoke", str(tmp_path))
    assert path == str(tmp_path / "lexicon-colour-anchors-smoke.json")
    anchors = json.load(open(path, encoding="utf-8"))
    solid = {p["attributes"]["color"][0] for p in train if p["attributes"]["pattern"] == ["solid"]}
    assert set(anchors) == solid and len(solid) >= 20
    assert list(anchors) == [c for c in COLORS if c in anchors]
    palette = np.array([COLOR_RGB[c] for c in COLORS], dtype=float)
    for value, rgb in anchors.items():
        assert len(rgb) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in rgb)
        dist = np.linalg.norm(palette - np.array(rgb, dtype=float), axis=1)
        assert COLORS[int(dist.argmin())] == value and dist.min() < 20, (value, rgb)
    # one product per colour: that product's own median, a different number in general
    one = lexicon.colour_anchors(train, per_colour=1)
    assert set(one) == solid and one != anchors


def _fake_npm(calls, status=0):
    def run(command, cwd):
        calls.append((command, cwd))
        if status == 0:
            out = command[command.index("--out") + 1]
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "lexicon.json"), "w") as f:
                f.write("{}\n")
        return status
    return run


def test_build_lexicon_runs_npm_lexicon_from_the_repository_root(smoke, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(lexicon, "run_npm", _fake_npm(calls))
    out = tmp_path / "models"
    path = lexicon.build_lexicon(str(out), "smoke", smoke[0], HASH, lambda _msg: None, str(tmp_path / "cache"))
    assert path == str(out / "fashion-lexicon" / "lexicon.json") and os.path.isfile(path)
    (command, cwd), = calls
    assert cwd == ROOT and command[:4] == ["npm", "run", "lexicon", "--"]
    args = dict(zip(command[4::2], command[5::2]))
    assert args == {"--products": str(tmp_path / "cache" / "lexicon-products-smoke.jsonl"),
                    "--colour-anchors": str(tmp_path / "cache" / "lexicon-colour-anchors-smoke.json"),
                    "--out": str(out / "fashion-lexicon"), "--data-hash": HASH, "--catalog": "seed:smoke/train"}
    assert os.path.isfile(args["--products"]) and os.path.isfile(args["--colour-anchors"])


def test_a_failing_npm_fails_the_step_with_the_command(smoke, tmp_path, monkeypatch):
    monkeypatch.setattr(lexicon, "run_npm", _fake_npm([], status=1))
    with pytest.raises(RuntimeError, match=r"npm run lexicon .* exited with status 1.*--no-lexicon"):
        lexicon.build_lexicon(str(tmp_path), "smoke", smoke[0], HASH, lambda _msg: None, str(tmp_path))


def test_run_npm_reports_the_exit_status_and_a_missing_program():
    assert lexicon.run_npm(["true"], ROOT) == 0
    assert lexicon.run_npm(["false"], ROOT) == 1
    assert lexicon.run_npm(["no-such-program-for-the-lexicon"], ROOT) == 127

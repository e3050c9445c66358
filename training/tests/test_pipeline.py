import json
import os

import pytest

from training import export, lexicon, train
from training.config import for_profile
from training.data import build_training_catalogue, split_hash


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """`npm run lexicon` replaced by a recorder that writes an empty lexicon; lexicon inputs go to
    a temporary folder instead of data/training-cache."""
    calls = []

    def run(command, cwd):
        calls.append(dict(zip(command[4::2], command[5::2])))
        out = calls[-1]["--out"]
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "lexicon.json"), "w") as f:
            f.write("{}\n")
        return 0

    monkeypatch.setattr(lexicon, "run_npm", run)
    monkeypatch.setattr(lexicon, "CACHE_DIR", str(tmp_path / "cache"))
    return calls


def test_smoke_pipeline_writes_a_valid_manifest(tmp_path, fake_npm):
    cfg = for_profile("smoke")
    cfg.max_styles = 12
    out = str(tmp_path / "models")
    ckpt = str(tmp_path / "ckpt")
    result = train.run(cfg, out, checkpoint=ckpt, build_lexicon=True)
    man = json.load(open(os.path.join(out, "manifest.json")))
    export.validate_manifest(man, out)
    assert man["trainingData"]["profile"] == "smoke"
    assert man["trainingData"]["hash"].startswith("sha256:") and len(man["trainingData"]["hash"]) == 71
    assert {m["name"] for m in man["models"]} == {"fashion-image", "fashion-text", "fashion-text-pretriplet",
                                                  "fashion-text-gru", "fashion-fusion"}
    assert [m for m in man["models"] if m.get("baseline")] and man["defaults"]["text"] == "fashion-text"
    golden = json.load(open(os.path.join(out, "golden", "golden.json")))
    assert golden["text"] and golden["image"] and golden["fusion"]
    cases = json.load(open(os.path.join(out, "fashion-text", "tokenizer-cases.json")))
    assert len(cases) >= 200
    assert set(result["losses"]) >= {"mlm", "clip", "triplet", "gru_align", "gru_triplet", "fusion"}

    # validation numbers come from the validation split, whose hash each entry records
    cat = build_training_catalogue("smoke", lambda _msg: None)
    train_hash, val_hash = split_hash(cat.products_of("train")), split_hash(cat.products_of("validation"))
    assert man["trainingData"]["hash"] == train_hash
    val = result["validation"]
    assert val["_gallery"]["split"] == "validation" and val["_gallery"]["products"] == 200
    assert set(val["fashion-image"]) == {"val_photo_r@1", "val_realshot_r@1", "val_realshot_r@10"}
    assert set(val["fashion-text"]) == {"val_color_category_p@10", "val_heldout_p@10"}
    assert {"val_composed_mean_r@10_r@50", "val_sum_baseline_mean_r@10_r@50"} <= set(val["fashion-fusion"])
    for e in man["models"]:
        assert e["training"]["validationDataHash"] == val_hash != train_hash
        assert e["training"]["validation"] == {e["name"]: val[e["name"]]}

    # the lexicon step ran on the 12 train styles the run used, with the train split's hash
    assert fake_npm == [{"--products": str(tmp_path / "cache" / "lexicon-products-smoke.jsonl"),
                         "--colour-anchors": str(tmp_path / "cache" / "lexicon-colour-anchors-smoke.json"),
                         "--out": os.path.join(out, "fashion-lexicon"), "--data-hash": train_hash,
                         "--catalog": "seed:smoke/train"}]
    assert len(open(fake_npm[0]["--products"]).read().splitlines()) == 60

    # re-export from the checkpoint, asked to rebuild the lexicon
    again = str(tmp_path / "again")
    train.main(["--profile", "smoke", "--from-checkpoint", ckpt, "--out", again, "--lexicon"])
    man2 = json.load(open(os.path.join(again, "manifest.json")))
    assert man2["trainingData"]["hash"] == train_hash
    assert {e["training"]["validationDataHash"] for e in man2["models"]} == {val_hash}
    assert len(fake_npm) == 2 and fake_npm[1]["--out"] == os.path.join(again, "fashion-lexicon")
    assert os.path.isfile(os.path.join(again, "fashion-lexicon", "lexicon.json"))


def test_the_lexicon_step_is_on_by_default_for_full_training_runs_only():
    assert train.wants_lexicon(None, "full", False) is True
    assert train.wants_lexicon(None, "smoke", False) is False
    assert train.wants_lexicon(None, "full", True) is False
    assert train.wants_lexicon(True, "smoke", True) is True
    assert train.wants_lexicon(False, "full", False) is False

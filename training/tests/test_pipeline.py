import json
import os

from training import export, train
from training.config import for_profile


def test_smoke_pipeline_writes_a_valid_manifest(tmp_path):
    cfg = for_profile("smoke")
    cfg.max_styles = 12
    out = str(tmp_path / "models")
    result = train.run(cfg, out)
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

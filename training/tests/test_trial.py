import json

import pytest

from training import trial


def test_trial_compares_variants_on_the_test_gallery(tmp_path, capsys):
    out = tmp_path / "trial.json"
    rows = trial.main(["--profile", "smoke", "--styles", "12", "--epochs", "1", "--test-products", "60",
                       "--min-relevant", "1", "--variant", "{}", "--variant", '{"instance_target": "clean"}',
                       "--out", str(out)])
    assert [r["variant"] for r in rows] == [{}, {"instance_target": "clean"}]
    for r in rows:
        assert r["queries"] > 0 and 0.0 <= r["colour_category_p@10"] <= 1.0 and 0.0 <= r["photo_r@1"] <= 1.0
    assert json.loads(out.read_text())["results"] == rows
    assert "| variant | seconds |" in capsys.readouterr().out


def test_trial_rejects_unknown_config_fields():
    with pytest.raises(SystemExit, match="unknown Config fields"):
        trial.main(["--profile", "smoke", "--variant", '{"no_such_field": 1}'])

import json

import pytest

from training import trial


def test_trial_compares_variants_on_the_validation_split(tmp_path, capsys):
    out = tmp_path / "trial.json"
    rows = trial.main(["--profile", "smoke", "--styles", "12", "--epochs", "1", "--validation-products", "0",
                       "--min-relevant", "1", "--variant", "{}", "--variant", '{"instance_target": "clean"}',
                       "--out", str(out)])
    assert [r["variant"] for r in rows] == [{}, {"instance_target": "clean"}]
    for r in rows:
        assert r["queries"] > 0 and 0.0 <= r["colour_category_p@10"] <= 1.0
        assert r["photos"] == 10 and 0.0 <= r["realshot_r@1"] <= r["realshot_r@10"] <= 1.0
        assert 0.0 <= r["augmented_r@1"] <= 1.0
    written = json.loads(out.read_text())
    assert written["results"] == rows and written["split"] == "validation"
    assert "| variant | seconds | colour+category P@10 | real-shot R@1 |" in capsys.readouterr().out


def test_a_smaller_gallery_keeps_only_the_photos_of_its_products(tmp_path):
    rows = trial.main(["--profile", "smoke", "--styles", "4", "--epochs", "1", "--validation-products", "60",
                       "--min-relevant", "1"])
    assert rows[0]["photos"] < 10


def test_trial_rejects_unknown_config_fields():
    with pytest.raises(SystemExit, match="unknown Config fields"):
        trial.main(["--profile", "smoke", "--variant", '{"no_such_field": 1}'])
